/**
 * The hollow runtime: containers simulated in memory, no processes (as kubemark's hollow
 * kubelet and kwok do), so one JVM can host thousands of nodes for load tests.
 */
package io.capstan.nodeagent.runtime.hollow;
