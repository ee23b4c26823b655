/** Kubernetes Events about pods (Pulled, Created, Started, Killing, Unhealthy, BackOff, …), written as commands. */
package io.capstan.nodeagent.events;
