package io.capstan.loadtests.robustness.history;

import java.util.List;

/**
 * One watch request and what it delivered, in order: from {@code startRv} (its resourceVersion
 * parameter, 0 for none) until it ended; {@code errorCode} is the code of an ERROR event that
 * ended it (410 when the version was too old), 0 for none.
 */
public record WatchSession(String id, long startRv, List<Delivered> delivered, int errorCode) {
  /** What a watch delivers: a change or a BOOKMARK (key and value null). */
  public enum Type { ADDED, MODIFIED, DELETED, BOOKMARK }

  public record Delivered(Type type, String key, long rv, String value) {
    public boolean bookmark() {
      return type == Type.BOOKMARK;
    }

    @Override
    public String toString() {
      return bookmark() ? "BOOKMARK@" + rv : type + " " + key + "@" + rv + (value == null ? "" : "=" + value);
    }
  }

  public WatchSession {
    delivered = List.copyOf(delivered);
  }
}
