/** What a new cluster starts with: the namespaces every Kubernetes cluster has. */
package io.capstan.stateviews.bootstrap;
