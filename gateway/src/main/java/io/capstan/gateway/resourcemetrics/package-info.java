/** {@code metrics.k8s.io}: usage rates (from {@code io.capstan.stateviews.resourcemetrics}) shaped as metrics-server's NodeMetrics and PodMetrics. */
package io.capstan.gateway.resourcemetrics;
