/** {@code metrics.k8s.io}: node agents' resource readings read back, turned into usage rates over a window, and shaped as metrics-server's NodeMetrics and PodMetrics. */
package io.capstan.gateway.resourcemetrics;
