package io.capstan.logschema.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
  @Test
  void namesNormalizeAsDockerAndKubernetesDo() {
    assertEquals("docker.io/library/busybox:latest", ImageReference.parse("busybox").normalized());
    assertEquals("docker.io/library/busybox:1.36", ImageReference.parse("busybox:1.36").normalized());
    assertEquals("docker.io/library/busybox:latest", ImageReference.parse("docker.io/library/busybox:latest").normalized());
    assertEquals("docker.io/library/busybox:latest", ImageReference.parse("index.docker.io/library/busybox").normalized());
    assertEquals("docker.io/bitnami/redis:7", ImageReference.parse("bitnami/redis:7").normalized());
    assertEquals("capstan.local/busybox:latest", ImageReference.parse("capstan.local/busybox").normalized());
    assertEquals("localhost:5000/app:v1", ImageReference.parse("localhost:5000/app:v1").normalized());
    String digest = "sha256:" + "a".repeat(64);
    assertEquals("docker.io/library/busybox@" + digest, ImageReference.parse("busybox@" + digest).normalized());
  }

  @Test
  void badNamesAreRefusedSayingWhatIsWrong() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("BusyBox"));
    assertTrue(e.getMessage().contains("repository name"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(""));
    assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("busybox@sha256:xyz"));
    assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("busy box"));
  }
}
