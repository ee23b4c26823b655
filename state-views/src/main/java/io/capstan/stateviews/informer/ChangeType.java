package io.capstan.stateviews.informer;

/** What a change did to a key, in Kubernetes watch terms. */
public enum ChangeType {
  ADDED, MODIFIED, DELETED
}
