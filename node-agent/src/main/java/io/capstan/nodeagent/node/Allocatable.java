package io.capstan.nodeagent.node;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What pods may use on this node (node.status.allocatable): capacity less the hard eviction
 * threshold for memory (kubelet's default {@code memory.available<100Mi}); 110 pods, kubelet's
 * default {@code maxPods}.
 */
public record Allocatable(long cpuMillis, long memoryBytes, long ephemeralStorageBytes, int pods) {
  public static final int DEFAULT_MAX_PODS = 110;
  public static final long MEMORY_EVICTION_THRESHOLD = 100L << 20;

  public static Allocatable of(MachineInfo m) {
    return new Allocatable(m.cpus() * 1000L, Math.max(0, m.memoryBytes() - MEMORY_EVICTION_THRESHOLD),
        m.ephemeralStorageBytes(), DEFAULT_MAX_PODS);
  }

  public static Map<String, String> capacity(MachineInfo m) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("cpu", Integer.toString(m.cpus()));
    c.put("memory", (m.memoryBytes() / 1024) + "Ki");
    c.put("ephemeral-storage", (m.ephemeralStorageBytes() / 1024) + "Ki");
    c.put("pods", Integer.toString(DEFAULT_MAX_PODS));
    return c;
  }

  public Map<String, String> asQuantities() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("cpu", cpuMillis % 1000 == 0 ? Long.toString(cpuMillis / 1000) : cpuMillis + "m");
    c.put("memory", (memoryBytes / 1024) + "Ki");
    c.put("ephemeral-storage", Long.toString(ephemeralStorageBytes));
    c.put("pods", Integer.toString(pods));
    return c;
  }
}
