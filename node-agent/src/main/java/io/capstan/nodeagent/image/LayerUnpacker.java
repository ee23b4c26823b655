package io.capstan.nodeagent.image;

import com.github.luben.zstd.ZstdInputStream;
import com.sun.jna.LastErrorException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Unpacks one image layer (a tar, plain or gzip-compressed) into a directory that overlayfs can
 * stack as a lower layer. OCI whiteouts become overlayfs's own: {@code .wh.NAME} a 0/0 character
 * device {@code NAME}, and {@code .wh..wh..opq} the {@code trusted.overlay.opaque=y} attribute on
 * its directory. Nothing is written outside the target: entries that climb out with {@code ..}, or
 * through a symlink the layer itself made, are refused.
 */
final class LayerUnpacker {
  static final String WHITEOUT_PREFIX = ".wh.";
  static final String OPAQUE = ".wh..wh..opq";

  /** What was unpacked: the digest of the uncompressed tar (the layer's diff_id) and its size. */
  record Unpacked(String diffId, long entries, long bytes) {}

  private LayerUnpacker() {}

  static Unpacked unpack(InputStream layer, Path target) throws IOException {
    MessageDigest sha = sha256();
    InputStream raw = new BufferedInputStream(layer, 1 << 16);
    InputStream tar = new DigestInputStream(decompressed(raw), sha);
    Files.createDirectories(target);
    Path root = target.toRealPath();
    TarReader reader = new TarReader(tar);
    byte[] buffer = new byte[COPY_BUFFER];
    List<Runnable> dirTimes = new ArrayList<>();
    long entries = 0;
    long bytes = 0;
    for (TarReader.Entry e = reader.next(); e != null; e = reader.next()) {
      entries++;
      String rel = relative(e.name());
      if (rel.isEmpty()) {
        continue; // "./" itself
      }
      Path path = root.resolve(rel);
      Path parent = directoriesWithin(root, path.getParent(), e.name());
      String base = path.getFileName().toString();
      if (base.equals(OPAQUE)) {
        xattr(parent, "trusted.overlay.opaque", "y");
        continue;
      }
      if (base.startsWith(WHITEOUT_PREFIX)) {
        Path hidden = parent.resolve(base.substring(WHITEOUT_PREFIX.length()));
        replace(hidden);
        node(hidden, FileCalls.S_IFCHR, 0, 0);
        continue;
      }
      if (e.type() != TarReader.Type.DIRECTORY || !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        replace(path);
      }
      switch (e.type()) {
        case DIRECTORY -> {
          directoriesWithin(root, path, e.name());
          long mtime = e.mtimeSeconds();
          dirTimes.add(() -> setTime(path, mtime));
        }
        case FILE -> {
          try (OutputStream out = Files.newOutputStream(path)) {
            bytes += copy(reader.content(), out, buffer);
          }
        }
        case SYMLINK -> Files.createSymbolicLink(path, Path.of(e.linkName()));
        case HARD_LINK -> {
          Path existing = root.resolve(relative(e.linkName()));
          if (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS) || !existing.getParent().toRealPath().startsWith(root)) {
            throw new IOException("layer entry " + e.name() + " is a hard link to " + e.linkName()
                + ", which is not in this layer");
          }
          Files.createLink(path, existing);
        }
        case CHAR_DEVICE -> node(path, FileCalls.S_IFCHR, e.devMajor(), e.devMinor());
        case BLOCK_DEVICE -> node(path, FileCalls.S_IFBLK, e.devMajor(), e.devMinor());
        case FIFO -> node(path, FileCalls.S_IFIFO, 0, 0);
      }
      owner(path, e);
      if (e.type() != TarReader.Type.SYMLINK && e.type() != TarReader.Type.HARD_LINK) {
        mode(path, e.mode());
        if (e.type() != TarReader.Type.DIRECTORY) {
          setTime(path, e.mtimeSeconds());
        }
      }
    }
    // Drain what follows the end blocks, so the digest covers the whole tar, as the diff_id does.
    tar.transferTo(OutputStream.nullOutputStream());
    // Directories last: writing into a directory changes its time.
    dirTimes.forEach(Runnable::run);
    return new Unpacked("sha256:" + HexFormat.of().formatHex(sha.digest()), entries, bytes);
  }

  /**
   * File contents are copied in pieces this big: each piece is one inflate, one digest update and
   * one write call (InputStream.transferTo's 16 kB made four times as many).
   */
  private static final int COPY_BUFFER = 1 << 18;

  private static long copy(InputStream in, OutputStream out, byte[] buffer) throws IOException {
    long n = 0;
    for (int k; (k = in.read(buffer, 0, buffer.length)) >= 0; ) {
      out.write(buffer, 0, k);
      n += k;
    }
    return n;
  }

  /** gzip and zstd (by their magic numbers) are undone; anything else is taken as a plain tar. */
  static InputStream decompressed(InputStream in) throws IOException {
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return new GZIPInputStream(in, 1 << 18);
    }
    if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      return new ZstdInputStream(in);
    }
    return in;
  }

  /** The entry's path inside the layer, without a leading {@code ./} or {@code /}; {@code ..} is refused. */
  static String relative(String name) throws IOException {
    List<String> parts = new ArrayList<>();
    for (String p : name.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        throw new IOException("layer entry " + name + " climbs out of the layer with ..");
      }
      parts.add(p);
    }
    return String.join("/", parts);
  }

  /**
   * Makes {@code dir} and its missing parents, one at a time, refusing to pass through a symlink:
   * the layer's own symlinks point into the container's root, never at the host's.
   */
  private static Path directoriesWithin(Path root, Path dir, String entry) throws IOException {
    Path at = root;
    for (Path part : root.relativize(dir)) {
      at = at.resolve(part);
      if (Files.isSymbolicLink(at)) {
        throw new IOException("layer entry " + entry + " would be written through the symlink " + root.relativize(at)
            + "; refused, it could lead outside the layer");
      }
      if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
        Files.deleteIfExists(at);
        Files.createDirectory(at);
      }
    }
    return dir;
  }

  private static void replace(Path path) throws IOException {
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      BusyboxImage.deleteTree(path);
    } else {
      Files.deleteIfExists(path);
    }
  }

  private static void node(Path path, int type, int major, int minor) throws IOException {
    try {
      FileCalls.INSTANCE.mknod(path.toString(), type, FileCalls.makedev(major, minor));
    } catch (LastErrorException e) {
      throw new IOException("cannot make device node " + path + " (needs root): " + e.getMessage(), e);
    }
  }

  private static void xattr(Path path, String name, String value) throws IOException {
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    try {
      FileCalls.INSTANCE.lsetxattr(path.toString(), name, v, v.length, 0);
    } catch (LastErrorException e) {
      throw new IOException("cannot set " + name + " on " + path + " (needs root): " + e.getMessage(), e);
    }
  }

  private static void owner(Path path, TarReader.Entry e) throws IOException {
    try {
      FileCalls.INSTANCE.lchown(path.toString(), (int) e.uid(), (int) e.gid());
    } catch (LastErrorException ex) {
      throw new IOException("cannot set the owner of " + path + " to " + e.uid() + ":" + e.gid() + ": "
          + ex.getMessage(), ex);
    }
  }

  private static void mode(Path path, int mode) throws IOException {
    try {
      FileCalls.INSTANCE.chmod(path.toString(), mode & 07777);
    } catch (LastErrorException e) {
      throw new IOException("cannot set the mode of " + path + ": " + e.getMessage(), e);
    }
  }

  private static void setTime(Path path, long seconds) {
    try {
      Files.setLastModifiedTime(path, FileTime.fromMillis(seconds * 1000));
    } catch (IOException ignored) {
      // a time is cosmetic; device nodes and the like may refuse it
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
