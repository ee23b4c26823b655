/** Container probes and lifecycle handlers (exec, httpGet, tcpSocket, sleep), as kubelet's prober runs them. */
package io.capstan.nodeagent.probe;
