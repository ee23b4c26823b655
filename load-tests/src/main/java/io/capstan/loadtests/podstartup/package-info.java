/** The pod startup benchmark: create-to-Running latency of pods on a local runc node, with a bare runc floor. */
package io.capstan.loadtests.podstartup;
