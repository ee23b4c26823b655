package io.capstan.nodeagent.image;

import io.capstan.nodeagent.runtime.ImageInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image {@code capstan.local/busybox:latest}, built from the host's statically linked busybox
 * (Debian package {@code busybox-static}): a root filesystem with {@code /bin/busybox}, a symlink
 * per applet, {@code /etc/passwd}, {@code /etc/group} and the usual empty directories. Its digest
 * is the sha256 of the binary and the applet list, so the same host binary gives the same image.
 */
public final class BusyboxImage {
  private static final Logger log = LoggerFactory.getLogger(BusyboxImage.class);
  public static final String NAME = "capstan.local/busybox:latest";
  public static final String PACKAGE = "busybox-static";
  static final List<Path> CANDIDATES = List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox"));
  static final List<String> ENV = List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

  private BusyboxImage() {}

  /** The host's static busybox, if there is one. */
  public static Optional<Path> hostBinary() {
    for (Path p : CANDIDATES) {
      if (Files.isExecutable(p) && isStatic(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Seeds the image into the store (nothing to do when it is there already).
   *
   * @throws IllegalStateException naming the package to install when there is no static busybox
   */
  public static ImageInfo seed(ImageStore store) {
    Path busybox = hostBinary().orElseThrow(() -> new IllegalStateException("no statically linked busybox at "
        + CANDIDATES + ": install the Debian package " + PACKAGE + " (apt-get install -y " + PACKAGE + ")"));
    try {
      byte[] binary = Files.readAllBytes(busybox);
      List<String> applets = applets(busybox);
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(binary);
      sha.update(String.join("\n", applets).getBytes(StandardCharsets.UTF_8));
      String digest = "sha256:" + HexFormat.of().formatHex(sha.digest());
      Optional<ImageInfo> present = store.imageStatus(NAME);
      if (present.isPresent() && present.get().id().equals(digest)) {
        return present.get();
      }
      Path tmp = Files.createTempDirectory(store.root(), ".seed-");
      Path rootfs = tmp.resolve("rootfs");
      for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "proc", "sys", "dev", "root", "var", "home")) {
        Files.createDirectories(rootfs.resolve(d));
      }
      Files.write(rootfs.resolve("bin/busybox"), binary);
      rootfs.resolve("bin/busybox").toFile().setExecutable(true, false);
      for (String applet : applets) {
        Path link = rootfs.resolve(applet);
        if (applet.equals("bin/busybox") || Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, Path.of("/bin/busybox"));
      }
      Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
      Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n");
      rootfs.resolve("tmp").toFile().setWritable(true, false);
      ImageInfo info = store.add(digest, rootfs, List.of(NAME), List.of(), List.of("sh"), ENV, "");
      deleteTree(tmp);
      log.info("seeded image {} ({}) from {}", NAME, digest, busybox);
      return info;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot seed " + NAME + " from " + busybox, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> applets(Path busybox) throws IOException {
    Process p = new ProcessBuilder(busybox.toString(), "--list-full").redirectErrorStream(true).start();
    List<String> out = new ArrayList<>();
    try (var r = p.inputReader()) {
      r.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.contains("..")).forEach(out::add);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(busybox + " --list-full failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }

  /** An ELF executable with no PT_INTERP program header needs no dynamic loader. */
  static boolean isStatic(Path p) {
    try {
      byte[] b = Files.readAllBytes(p);
      if (b.length < 64 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F' || b[4] != 2) {
        return false;
      }
      ByteBuffer buf = ByteBuffer.wrap(b).order(b[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
      long phoff = buf.getLong(0x20);
      int phentsize = Short.toUnsignedInt(buf.getShort(0x36));
      int phnum = Short.toUnsignedInt(buf.getShort(0x38));
      for (int i = 0; i < phnum; i++) {
        long at = phoff + (long) i * phentsize;
        if (at + 4 > b.length) {
          return false;
        }
        if (buf.getInt((int) at) == 3) { // PT_INTERP
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
