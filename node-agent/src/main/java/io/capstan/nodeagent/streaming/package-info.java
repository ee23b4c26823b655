/**
 * The node agent's streaming endpoints, kubelet's {@code /exec}, {@code /attach} and
 * {@code /portForward}: the WebSocket channel protocols ({@code v5.channel.k8s.io},
 * {@code v4.channel.k8s.io}) for a command's streams, and SPDY/3.1 port-forward streams, over a
 * WebSocket tunnel ({@code SPDY/3.1+portforward.k8s.io}, what kubectl 1.30+ asks for) or a plain
 * HTTP upgrade (older clients).
 */
package io.capstan.nodeagent.streaming;
