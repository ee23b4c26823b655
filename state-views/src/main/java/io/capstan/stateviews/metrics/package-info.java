/**
 * How a Capstan process shows its metrics: the Prometheus scrape endpoint ({@code /metrics},
 * {@code /healthz}) over one shared registry, and the JVM's own series bound to it.
 */
package io.capstan.stateviews.metrics;
