package io.capstan.scheduler.framework;

import java.util.HashMap;
import java.util.Map;

/**
 * Data one scheduling cycle shares between a plugin's extension points (framework.CycleState):
 * what PreFilter works out once over the cluster, Filter reads per node. Used by one thread.
 */
public final class CycleState {
  private final Map<String, Object> data = new HashMap<>();

  public void write(String key, Object value) {
    data.put(key, value);
  }

  /** The value a plugin wrote, or null. */
  public <T> T read(String key, Class<T> type) {
    Object v = data.get(key);
    return v == null ? null : type.cast(v);
  }
}
