package io.capstan.nodeagent.volume;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a volume's files so that a reader in the container sees either all of the old ones or
 * all of the new ones, as kubelet's {@code AtomicWriter}: the files go into a fresh hidden
 * directory {@code ..<timestamp>}; the symbolic link {@code ..data} is made to point at it by one
 * {@code rename(2)} of a new link over the old; each visible top-level name is a link
 * {@code name -> ..data/name}; the previous timestamped directory and the names no longer in the
 * payload are removed afterwards.
 *
 * <pre>
 *   volume/
 *     ..2026_12_05_21_40_00.123456789/token
 *     ..data -> ..2026_12_05_21_40_00.123456789
 *     token -> ..data/token
 * </pre>
 */
public final class AtomicWriter {
  static final String DATA_DIR = "..data";
  private static final String DATA_DIR_TMP = "..data_tmp";
  private final Clock clock;

  public AtomicWriter(Clock clock) {
    this.clock = clock;
  }

  /**
   * Makes {@code target} hold exactly {@code payload} (relative path → file). Nothing is written
   * when the current files are the same, content and mode.
   *
   * @return whether the files changed
   * @throws IllegalArgumentException for a path that is absolute, has a {@code ..} element or
   *     starts with {@code ..} (kubelet's validatePath)
   */
  public boolean write(Path target, Map<String, FileProjection> payload) throws IOException {
    for (String p : payload.keySet()) {
      validatePath(p);
    }
    Files.createDirectories(target);
    Path dataLink = target.resolve(DATA_DIR);
    Path oldDir = null;
    if (Files.isSymbolicLink(dataLink)) {
      oldDir = target.resolve(Files.readSymbolicLink(dataLink));
      if (Files.isDirectory(oldDir) && sameAs(oldDir, payload) && linksInPlace(target, payload)) {
        return false;
      }
    }
    Path tsDir = newTimestampedDir(target);
    for (var e : payload.entrySet()) {
      Path file = tsDir.resolve(e.getKey());
      Files.createDirectories(file.getParent());
      Files.write(file, e.getValue().data());
      Files.setPosixFilePermissions(file, permissions(e.getValue().mode()));
    }
    // Subdirectories of the payload are readable by all, as kubelet leaves them (0755).
    try (Stream<Path> dirs = Files.walk(tsDir)) {
      for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        Files.setPosixFilePermissions(d, permissions(0755));
      }
    }
    Path tmpLink = target.resolve(DATA_DIR_TMP);
    Files.deleteIfExists(tmpLink);
    Files.createSymbolicLink(tmpLink, tsDir.getFileName());
    Files.move(tmpLink, dataLink, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Set<String> visible = topLevel(payload);
    for (String name : visible) {
      Path link = target.resolve(name);
      if (!Files.isSymbolicLink(link)) {
        if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
          deleteTree(link); // a plain file an older agent wrote
        }
        try {
          Files.createSymbolicLink(link, Path.of(DATA_DIR, name));
        } catch (FileAlreadyExistsException e) {
          // made concurrently: it points at the same place
        }
      }
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        if (name.equals(DATA_DIR) || e.equals(tsDir) || visible.contains(name)) {
          continue;
        }
        if (name.startsWith("..") || Files.isSymbolicLink(e) || oldDir == null) {
          deleteTree(e); // old timestamped dirs, links of names that left the payload, an older layout's files
        }
      }
    }
    return true;
  }

  /** kubelet's {@code validatePath}: relative, no {@code ..} element, not starting with {@code ..}. */
  public static void validatePath(String p) {
    if (p.isEmpty()) {
      throw new IllegalArgumentException("invalid path: must not be empty");
    }
    if (p.startsWith("/")) {
      throw new IllegalArgumentException("invalid path: must be relative path: " + p);
    }
    for (String element : p.split("/")) {
      if (element.equals("..")) {
        throw new IllegalArgumentException("invalid path: must not contain '..': " + p);
      }
    }
    if (p.startsWith("..")) {
      throw new IllegalArgumentException("invalid path: must not start with '..': " + p);
    }
  }

  private static Set<String> topLevel(Map<String, FileProjection> payload) {
    Set<String> out = new LinkedHashSet<>();
    for (String p : payload.keySet()) {
      int slash = p.indexOf('/');
      out.add(slash < 0 ? p : p.substring(0, slash));
    }
    return out;
  }

  private static boolean linksInPlace(Path target, Map<String, FileProjection> payload) {
    for (String name : topLevel(payload)) {
      if (!Files.isSymbolicLink(target.resolve(name))) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code dir} holds exactly the payload's files with their contents and modes. */
  private static boolean sameAs(Path dir, Map<String, FileProjection> payload) throws IOException {
    Map<String, Path> files = new HashMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) all.filter(Files::isRegularFile)::iterator) {
        files.put(dir.relativize(f).toString(), f);
      }
    }
    if (!files.keySet().equals(payload.keySet())) {
      return false;
    }
    for (var e : payload.entrySet()) {
      Path f = files.get(e.getKey());
      if (!Files.getPosixFilePermissions(f).equals(permissions(e.getValue().mode()))
          || !java.util.Arrays.equals(Files.readAllBytes(f), e.getValue().data())) {
        return false;
      }
    }
    return true;
  }

  private Path newTimestampedDir(Path target) throws IOException {
    ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    String base = String.format("..%04d_%02d_%02d_%02d_%02d_%02d.%09d", now.getYear(), now.getMonthValue(),
        now.getDayOfMonth(), now.getHour(), now.getMinute(), now.getSecond(), now.getNano());
    for (int i = 0; ; i++) {
      Path dir = target.resolve(i == 0 ? base : base + "-" + i);
      try {
        Files.createDirectory(dir);
        return dir;
      } catch (FileAlreadyExistsException e) {
        // two writes in one clock tick: the next name
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> all = Files.walk(p)) {
        for (Path x : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(x);
        }
      }
    } else {
      Files.deleteIfExists(p);
    }
  }

  /** The POSIX permissions of mode bits such as 0644. */
  public static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_READ};
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        p.add(order[i]);
      }
    }
    return p;
  }
}
