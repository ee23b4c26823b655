/** Resource usage of this node, its pods and containers, read from cgroups when asked, and served as kubelet serves it ({@code /metrics/resource}, {@code /stats/summary}). */
package io.capstan.nodeagent.stats;
