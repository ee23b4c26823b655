/**
 * The controller runtime, after client-go's workqueue and the Java Operator SDK: a de-duplicating,
 * rate-limited work queue of object keys, reconcile results, expectations of a controller's own
 * writes, event handlers that turn informer changes into keys, and the worker loop.
 */
package io.capstan.controllers.runtime;
