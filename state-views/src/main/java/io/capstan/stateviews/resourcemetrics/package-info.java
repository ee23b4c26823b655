/**
 * Resource metrics as metrics-server gathers them, for the gateway's {@code metrics.k8s.io} and the
 * horizontal pod autoscaler alike: node agents' {@code /metrics/resource} scraped over mutual TLS
 * when asked, and CPU rated between two scrapes.
 */
package io.capstan.stateviews.resourcemetrics;
