package io.capstan.nodeagent.runtime.runc.supervisor;

/**
 * One line of a WATCH stream.
 *
 * @param type      {@code CONTAINER} (its current record), {@code REMOVED} (deleted) or {@code SYNCED}
 *                  (the initial list is complete)
 * @param container the record; null for SYNCED
 */
public record SupervisorEvent(String type, ContainerRecord container) {
  public static final String CONTAINER = "CONTAINER";
  public static final String REMOVED = "REMOVED";
  public static final String SYNCED = "SYNCED";
}
