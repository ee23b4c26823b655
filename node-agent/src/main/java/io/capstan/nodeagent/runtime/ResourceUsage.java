package io.capstan.nodeagent.runtime;

import java.time.Instant;

/**
 * One reading of a cgroup's CPU and memory (CRI's CpuUsage and MemoryUsage, trimmed): the CPU
 * time used since the cgroup began, cumulative, and the memory working set (usage less the
 * inactive file cache, what kubelet and metrics-server call working set).
 *
 * @param time             when read
 * @param cpuUsageNanos    cumulative CPU time in nanoseconds (core-nanoseconds)
 * @param workingSetBytes  memory in use that the kernel could not simply drop
 */
public record ResourceUsage(Instant time, long cpuUsageNanos, long workingSetBytes) {

  /** What a simulated container uses (hollow nodes): nothing. */
  public static ResourceUsage zero(Instant time) {
    return new ResourceUsage(time, 0, 0);
  }
}
