/**
 * The informer library, after client-go's tools/cache: an {@link io.capstan.stateviews.informer.Informer}
 * lists and watches one kind's state topic into an {@link io.capstan.stateviews.informer.IndexedStore}
 * with named indexes, tracks per-partition applied resourceVersions and watermarks for consistent
 * lists and read-your-writes, and tells handlers and listeners about every change in log order.
 * {@link io.capstan.stateviews.informer.Informer#whenCaughtUp} is the consistent read: the
 * topic's end offsets from the brokers (batched by {@code LogEnds}), then the informer's consumer
 * past them.
 */
package io.capstan.stateviews.informer;
