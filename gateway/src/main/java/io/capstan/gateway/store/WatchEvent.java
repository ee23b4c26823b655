package io.capstan.gateway.store;

import io.capstan.gateway.errors.ApiStatus;

/** One event of a watch stream, the closed set Kubernetes defines. */
public sealed interface WatchEvent {
  record Added(StoredObject object) implements WatchEvent {}

  record Modified(StoredObject object) implements WatchEvent {}

  /** The object as last stored before it went. */
  record Deleted(StoredObject object) implements WatchEvent {}

  /** Progress: every change up to {@code resourceVersion} has been sent; {@code initialEventsEnd} marks the end of the initial list. */
  record Bookmark(long resourceVersion, boolean initialEventsEnd) implements WatchEvent {}

  /** The watch cannot go on (e.g. 410 Gone); the stream ends after it. */
  record Error(ApiStatus status) implements WatchEvent {}

  /**
   * Not sent: the stream just ends, as kube-apiserver ends the watch of a client too slow to keep
   * up; the client watches again from the last resourceVersion it received.
   */
  record End() implements WatchEvent {}
}
