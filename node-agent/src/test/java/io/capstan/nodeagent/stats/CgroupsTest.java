package io.capstan.nodeagent.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.runtime.ResourceUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading CPU time and working set from cgroup v1 and v2 files, and from this host's own root cgroup. */
class CgroupsTest {
  @TempDir Path dir;
  private final Instant now = Instant.parse("2026-12-06T05:00:00Z");

  @Test
  void v1ReadsCpuacctAndUsageLessTheInactiveFileCache() throws Exception {
    Path cpu = Files.createDirectories(dir.resolve("cpuacct/capstan/s1/c1"));
    Path mem = Files.createDirectories(dir.resolve("memory/capstan/s1/c1"));
    Files.writeString(cpu.resolve("cpuacct.usage"), "2500000000\n");
    Files.writeString(mem.resolve("memory.usage_in_bytes"), "10485760\n");
    Files.writeString(mem.resolve("memory.stat"), "cache 4096\ninactive_file 999\ntotal_inactive_file 2097152\n");
    Cgroups cgroups = new Cgroups(dir, Cgroups.Version.V1, dir.resolve("meminfo"));
    assertEquals(Cgroups.Version.V1, Cgroups.detect(dir));
    assertEquals(new ResourceUsage(now, 2_500_000_000L, 8_388_608L), cgroups.read("capstan/s1/c1", now).orElseThrow());
  }

  @Test
  void v2ReadsUsageUsecAndMemoryCurrentLessInactiveFile() throws Exception {
    Files.writeString(dir.resolve("cgroup.controllers"), "cpu memory\n");
    Path c = Files.createDirectories(dir.resolve("capstan/s1/c1"));
    Files.writeString(c.resolve("cpu.stat"), "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n");
    Files.writeString(c.resolve("memory.current"), "8192000\n");
    Files.writeString(c.resolve("memory.stat"), "anon 4096000\nfile 4096000\ninactive_file 4096000\n");
    Cgroups cgroups = new Cgroups(dir, Cgroups.detect(dir), dir.resolve("meminfo"));
    assertEquals(Cgroups.Version.V2, cgroups.version());
    assertEquals(new ResourceUsage(now, 1_500_000_000L, 4_096_000L), cgroups.read("capstan/s1/c1", now).orElseThrow());
  }

  @Test
  void theV2RootTakesItsMemoryFromMeminfo() throws Exception {
    Files.writeString(dir.resolve("cgroup.controllers"), "cpu memory\n");
    Files.writeString(dir.resolve("cpu.stat"), "usage_usec 7000000\n");
    Files.writeString(dir.resolve("meminfo"), "MemTotal:       1000 kB\nMemFree:         200 kB\n"
        + "MemAvailable:    500 kB\nInactive(file):  100 kB\n");
    Cgroups cgroups = new Cgroups(dir, Cgroups.Version.V2, dir.resolve("meminfo"));
    assertEquals(new ResourceUsage(now, 7_000_000_000L, 700 * 1024L), cgroups.read("", now).orElseThrow());
  }

  @Test
  void aCgroupThatIsGoneReadsAsNothingAndTheWorkingSetIsNeverNegative() throws Exception {
    Cgroups cgroups = new Cgroups(dir, Cgroups.Version.V1, dir.resolve("meminfo"));
    assertTrue(cgroups.read("capstan/gone", now).isEmpty());
    Path cpu = Files.createDirectories(dir.resolve("cpuacct/x"));
    Path mem = Files.createDirectories(dir.resolve("memory/x"));
    Files.writeString(cpu.resolve("cpuacct.usage"), "1\n");
    Files.writeString(mem.resolve("memory.usage_in_bytes"), "4096\n");
    Files.writeString(mem.resolve("memory.stat"), "total_inactive_file 8192\n");
    assertEquals(0, cgroups.read("x", now).orElseThrow().workingSetBytes());
  }

  @Test
  void thisHostsRootCgroupHasUsedCpuAndMemory() {
    ResourceUsage root = Cgroups.host().read("", now).orElseThrow();
    assertTrue(root.cpuUsageNanos() > 0, root.toString());
    assertTrue(root.workingSetBytes() > 0, root.toString());
  }
}
