package io.capstan.nodeagent.runtime.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.image.ImageImporter;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.image.TestArchives;
import io.capstan.nodeagent.runtime.ContainerConfig;
import io.capstan.nodeagent.runtime.ContainerInfo;
import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.SandboxConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An imported two-layer image runs in a real runc container: the root filesystem is the overlay
 * of both layers with the top layer's whiteout applied, and the image's CMD is what runs.
 */
class RuncImportedImageTest {
  @TempDir Path dir;

  @Test
  void aLayeredImageRunsWithItsWhiteoutsApplied() throws Exception {
    RuncHost.require();
    byte[] busybox = Files.readAllBytes(BusyboxImage.hostBinary().orElseThrow());
    byte[] base = new TestArchives.Tar().dir("bin/").file("bin/busybox", busybox, 0755).symlink("bin/sh", "busybox")
        .symlink("bin/cat", "busybox").symlink("bin/ls", "busybox").dir("etc/").file("etc/gone", "base\n")
        .file("etc/kept", "kept from the base\n").dir("tmp/").dir("proc/").dir("dev/").dir("sys/").bytes();
    byte[] top = new TestArchives.Tar().file("etc/.wh.gone", "").file("etc/added", "added on top\n").bytes();
    byte[] config = TestArchives.config(List.of(base, top),
        List.of("sh", "-c", "cat /etc/kept /etc/added; ls /etc; test -e /etc/gone && echo STILL-THERE; exit 0"));
    Path archive = Files.write(dir.resolve("app.tar"),
        TestArchives.ociLayout(List.of(base, top), config, "example.com/layered:1"));
    ImageStore store = new ImageStore(dir.resolve("images"));
    ImageInfo image = new ImageImporter(store, line -> { }).importFrom(archive, List.of()).get(0);

    RuncRuntime runtime = new RuncRuntime(dir.resolve("runtime"), new SimpleMeterRegistry(), Clock.systemUTC());
    try {
      String uid = UUID.randomUUID().toString();
      String sandbox = runtime.runPodSandbox(new SandboxConfig(uid, "default", "layered", "layered", true));
      Path log = dir.resolve("logs/app/0.log");
      ImageInfo pulled = store.pullImage("example.com/layered:1");
      // No command in the pod: the image's CMD runs (the sync loop resolves it so).
      String id = runtime.createContainer(sandbox, new ContainerConfig("app", 0, pulled, pulled.cmd(), pulled.env(), "", List.of(), ContainerConfig.Resources.none(),
          ContainerConfig.Security.defaults(), log));
      runtime.startContainer(id);
      assertTrue(runtime.awaitExit(id, Duration.ofSeconds(20)), "the container did not exit");
      ContainerInfo info = runtime.containerStatus(id).orElseThrow();
      List<String> lines = Files.readAllLines(log);
      assertEquals(0, info.exitCode(), "log: " + lines);
      assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stdout F kept from the base")), "log: " + lines);
      assertTrue(lines.stream().anyMatch(l -> l.endsWith(" stdout F added on top")), "log: " + lines);
      assertTrue(lines.stream().noneMatch(l -> l.contains("STILL-THERE")), "the whiteout hides /etc/gone: " + lines);
      assertEquals(2, image.layers().size());
      runtime.removeContainer(id);
      runtime.removePodSandbox(sandbox);
    } finally {
      runtime.close();
    }
  }
}
