package io.capstan.loadtests.robustness.history;

/**
 * One change of an object as the event log holds it (the truth the watches and the acknowledged
 * writes are held against): its key, resourceVersion, type and payload value (null when the
 * object has none, or for a delete).
 */
public record LogEvent(String key, long rv, Type type, String value) {
  /** As a watch names it. */
  public enum Type { ADDED, MODIFIED, DELETED }
}
