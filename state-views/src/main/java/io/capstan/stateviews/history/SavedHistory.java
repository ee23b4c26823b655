package io.capstan.stateviews.history;

import io.capstan.log.EventOp;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index of an {@link EventHistory} saved in a directory, so a restarted process loads it and
 * reads on from where it was saved (a snapshot and a short replay) instead of reading the whole log
 * again. Two files: {@code objects-N}, the versions' objects ({@link SpillFile}, kept), and
 * {@value #INDEX}, a journal of frames ({@code length, CRC-32C, payload}):
 *
 * <ul>
 *   <li>a header naming the event log (topic, topic id, partitions), and the objects file: an
 *       index of another log (the topic made again, or partitions added) is dropped, not read;
 *   <li>batches of versions (key, resourceVersion, time, operation, actor, uid, where the object
 *       is in the spill file, partition and offset), each string written once a batch and then
 *       referred to (a batch's strings are its own, so nothing of them stays on the heap);
 *   <li>snapshots: after the versions up to it, the offset each partition was read to, the
 *       objects file's length then, and the point before which the history is gone.
 * </ul>
 *
 * Each save appends the versions read since the last and a snapshot, then forces both files to the
 * disk. A {@link #rewrite} (after the log was trimmed) writes a new index and objects file with
 * only the versions still wanted, and renames the index over the old one: a crash before the
 * rename leaves the old pair whole. A load keeps what the last whole snapshot covers: a torn or corrupt tail (a crash during a
 * save) is cut off, and its versions are read from the log again. The directory is locked: a second
 * process (or store) on it gets none ({@link #open} answers null) and keeps its history in memory.
 *
 * <p>Not thread-safe: its {@link EventHistory}'s one caller at a time.
 */
final class SavedHistory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SavedHistory.class);
  static final String INDEX = "index";
  private static final String SPILL = "objects-";
  private static final String LOCK = "lock";
  private static final int FORMAT = 2;
  private static final byte HEADER = 'H';
  private static final byte VERSIONS = 'V';
  private static final byte SNAPSHOT = 'S';
  private static final int NEW_STRING = -1;
  private static final int NO_STRING = -2;
  /** Versions a batch frame holds at most, so a frame stays a few megabytes. */
  private static final int BATCH = 20_000;

  /**
   * Where a snapshot stands: per partition the offset read to and the floor a trim left ({time µs,
   * resourceVersion}: where its readable history began, see {@link EventHistory}), and the point
   * before which the history was let go (zeros when never).
   */
  record Snapshot(Map<Integer, Long> positions, Map<Integer, long[]> floors, long goneBeforeVersion,
      long goneBeforeMicros) {
    static final Snapshot NONE = new Snapshot(Map.of(), Map.of(), 0, 0);
  }

  /** What a load found: the versions, and the snapshot they end at. */
  record Loaded(List<ObjectVersion> versions, Snapshot snapshot) {}

  private final Path dir;
  private final String header;
  /** The objects file's generation: a rewrite makes the next. */
  private long generation;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private FileChannel index;
  private SpillFile spill;
  /** Strings by reference, and references by string, of the batch being written or read. */
  private final List<String> strings = new ArrayList<>();
  private final Map<String, Integer> refs = new HashMap<>();

  private SavedHistory(Path dir, String header, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.header = header;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * The saved history of the event log {@code topic} (topic id {@code topicId}, {@code partitions}
   * partitions) in {@code dir}, made when missing; null when another holds the directory.
   */
  static SavedHistory open(Path dir, String topic, String topicId, int partitions) {
    try {
      Files.createDirectories(dir);
      FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        lockChannel.close();
        return null;
      }
      return new SavedHistory(dir, topic + " " + topicId + " " + partitions, lockChannel, lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the saved history in " + dir, e);
    }
  }

  /** The spill file the loaded and later versions' objects are in; after {@link #load}. */
  SpillFile spill() {
    return spill;
  }

  /**
   * Reads the saved index: its versions (objects in {@link #spill}) and where to read on. An index
   * of another log, or none, loads as empty and is started afresh.
   */
  Loaded load() {
    Path indexPath = dir.resolve(INDEX);
    List<ObjectVersion> versions = new ArrayList<>();
    Snapshot snapshot = Snapshot.NONE;
    try {
      index = FileChannel.open(indexPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      long kept = 0;
      long spillKept = 0;
      String found = null;
      List<ObjectVersion> pending = new ArrayList<>();
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(indexPath),
          1 << 20))) {
        long at = 0;
        while (true) {
          byte[] payload = readFrame(in);
          if (payload == null) {
            break;
          }
          at += 8 + payload.length;
          ByteBuffer frame = ByteBuffer.wrap(payload);
          byte type = frame.get();
          try {
            if (found == null) {
              if (type != HEADER || frame.getInt() != FORMAT) {
                break;
              }
              found = utf(frame);
              if (!found.equals(header)) {
                break;
              }
              generation = frame.getLong();
              spill = SpillFile.kept(dir.resolve(SPILL + generation));
              kept = at;
            } else if (type == VERSIONS) {
              for (int n = frame.getInt(); n > 0; n--) {
                pending.add(readVersion(frame));
              }
              forgetStrings();
            } else if (type == SNAPSHOT) {
              Map<Integer, Long> positions = new TreeMap<>();
              Map<Integer, long[]> floors = new TreeMap<>();
              for (int n = frame.getInt(); n > 0; n--) {
                int partition = frame.getInt();
                positions.put(partition, frame.getLong());
                if (frame.get() != 0) {
                  floors.put(partition, new long[] {frame.getLong(), frame.getLong()});
                }
              }
              spillKept = frame.getLong();
              snapshot = new Snapshot(positions, floors, frame.getLong(), frame.getLong());
              versions.addAll(pending);
              pending.clear();
              kept = at;
            } else {
              break;
            }
          } catch (IOException | RuntimeException e) { // whole but unreadable: an index of other code
            log.warn("historical reads: the saved history in {} cannot be read past {} bytes: {}", dir, kept,
                e.toString());
            break;
          }
        }
      }
      if (found == null || !found.equals(header) || spill == null) {
        if (found != null || index.size() > 0) {
          log.info("historical reads: the saved history in {} is of another event log ({}), made afresh", dir,
              found == null ? "no header" : found);
        }
        return fresh();
      }
      if (spill.size() < spillKept) {
        log.warn("historical reads: the saved history in {} lacks objects its index points to, made afresh", dir);
        return fresh();
      }
      spill.keepOnly(spillKept);
      index.truncate(kept);
      index.position(kept);
      deleteOtherObjectFiles();
      return new Loaded(versions, snapshot);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the saved history in " + dir, e);
    }
  }

  /** Drops what is saved (after {@link #load}), to read the whole log again. */
  Loaded startAfresh() {
    try {
      return fresh();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the saved history in " + dir + " afresh", e);
    }
  }

  /** Drops what is saved and starts an index with its header. */
  private Loaded fresh() throws IOException {
    forgetStrings();
    if (spill != null) {
      spill.close();
    }
    spill = SpillFile.kept(dir.resolve(SPILL + generation));
    spill.keepOnly(0);
    index.truncate(0);
    index.position(0);
    writeFrame(headerFrame());
    index.force(false);
    deleteOtherObjectFiles();
    return new Loaded(List.of(), Snapshot.NONE);
  }

  private FrameOut headerFrame() {
    return new FrameOut(256).put(HEADER).putInt(FORMAT).putUtf(header).putLong(generation);
  }

  /** Objects files of other generations: a rewrite's old one, or one a crash left before its rename. */
  private void deleteOtherObjectFiles() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (name.startsWith(SPILL) && !name.equals(SPILL + generation) || name.equals(INDEX + ".new")) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  /**
   * Replaces what is saved with {@code versions} (in log order: each partition's by offset), their
   * objects copied to a new objects file, and the snapshot {@code at}; the old files go. @return the versions, their objects now in the new file
   */
  List<ObjectVersion> rewrite(List<ObjectVersion> versions, Snapshot at) {
    SpillFile oldSpill = spill;
    FileChannel oldIndex = index;
    long oldGeneration = generation;
    Path newIndex = dir.resolve(INDEX + ".new");
    try {
      generation = oldGeneration + 1;
      spill = SpillFile.kept(dir.resolve(SPILL + generation));
      spill.keepOnly(0);
      index = FileChannel.open(newIndex, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.READ, StandardOpenOption.WRITE);
      List<ObjectVersion> moved = new ArrayList<>(versions.size());
      for (ObjectVersion v : versions) {
        byte[] object = v.object();
        moved.add(new ObjectVersion(v.key(), v.resourceVersion(), v.timeMicros(), v.op(), v.actor(), v.uid(),
            object == null ? null : spill.append(object), v.partition(), v.offset()));
      }
      writeFrame(headerFrame());
      save(moved, at);
      Files.move(newIndex, dir.resolve(INDEX), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      oldIndex.close();
      oldSpill.close();
      deleteOtherObjectFiles();
      return moved;
    } catch (IOException | RuntimeException e) {
      try { // the old pair stays the saved history
        index.close();
        spill.close();
        Files.deleteIfExists(newIndex);
        Files.deleteIfExists(dir.resolve(SPILL + generation));
      } catch (IOException ignored) {
        // what is left is deleted by the next load
      }
      index = oldIndex;
      spill = oldSpill;
      generation = oldGeneration;
      forgetStrings();
      throw e instanceof IOException io ? new UncheckedIOException("cannot rewrite the history in " + dir, io)
          : (RuntimeException) e;
    }
  }

  /**
   * Appends {@code versions} (their objects in {@link #spill}) and the snapshot {@code at}: every
   * partition read up to its offset there. Both files are on the disk when it returns.
   */
  void save(List<ObjectVersion> versions, Snapshot at) {
    try {
      spill.force();
      for (int from = 0; from < versions.size(); from += BATCH) {
        List<ObjectVersion> batch = versions.subList(from, Math.min(versions.size(), from + BATCH));
        FrameOut out = new FrameOut(batch.size() * 96);
        forgetStrings(); // a batch's references are its own
        out.put(VERSIONS).putInt(batch.size());
        for (ObjectVersion v : batch) {
          writeVersion(out, v);
        }
        forgetStrings();
        writeFrame(out);
      }
      FrameOut out = new FrameOut(64 + at.positions().size() * 32).put(SNAPSHOT).putInt(at.positions().size());
      for (Map.Entry<Integer, Long> p : new TreeMap<>(at.positions()).entrySet()) {
        out.putInt(p.getKey()).putLong(p.getValue());
        long[] floor = at.floors().get(p.getKey());
        out.put((byte) (floor != null ? 1 : 0));
        if (floor != null) {
          out.putLong(floor[0]).putLong(floor[1]);
        }
      }
      out.putLong(spill.size()).putLong(at.goneBeforeVersion()).putLong(at.goneBeforeMicros());
      writeFrame(out);
      index.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the history in " + dir, e);
    }
  }

  private void writeVersion(FrameOut out, ObjectVersion v) {
    writeString(out, v.key());
    out.putLong(v.resourceVersion()).putLong(v.timeMicros());
    writeString(out, v.op().name());
    writeString(out, v.actor());
    writeString(out, v.uid());
    if (v.stored() instanceof StoredBytes.Spilled s && s.file() == spill) {
      out.putLong(s.position()).putInt(s.length());
    } else if (v.stored() == null) {
      out.putLong(-1).putInt(0);
    } else {
      throw new IllegalArgumentException("the object of " + v.key() + "@" + v.resourceVersion()
          + " is not in the saved history's spill file");
    }
    out.putInt(v.partition()).putLong(v.offset());
  }

  private ObjectVersion readVersion(ByteBuffer in) throws IOException {
    String key = readString(in);
    long rv = in.getLong();
    long time = in.getLong();
    EventOp op = EventOp.valueOf(readString(in));
    String actor = readString(in);
    String uid = readString(in);
    long position = in.getLong();
    int length = in.getInt();
    int partition = in.getInt();
    long offset = in.getLong();
    StoredBytes stored = position < 0 ? null : new StoredBytes.Spilled(spill, position, length);
    return new ObjectVersion(key, rv, time, op, actor, uid, stored, partition, offset);
  }

  private void forgetStrings() {
    strings.clear();
    refs.clear();
  }

  /** A string written once a batch, then referred to by its number there. */
  private void writeString(FrameOut out, String s) {
    if (s == null) {
      out.putInt(NO_STRING);
      return;
    }
    Integer ref = refs.get(s);
    if (ref != null) {
      out.putInt(ref);
      return;
    }
    out.putInt(NEW_STRING).putUtf(s);
    refs.put(s, strings.size());
    strings.add(s);
  }

  private String readString(ByteBuffer in) throws IOException {
    int ref = in.getInt();
    if (ref == NO_STRING) {
      return null;
    }
    if (ref == NEW_STRING) {
      String s = utf(in);
      strings.add(s);
      return s;
    }
    if (ref < 0 || ref >= strings.size()) {
      throw new IOException("a reference to a string not saved: " + ref);
    }
    return strings.get(ref);
  }

  private static String utf(ByteBuffer in) throws IOException {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IOException("a string of " + length + " bytes where " + in.remaining() + " are left");
    }
    String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return s;
  }

  private void writeFrame(FrameOut out) throws IOException {
    CRC32C crc = new CRC32C();
    crc.update(out.buf.array(), 0, out.buf.position());
    ByteBuffer head = ByteBuffer.allocate(8).putInt(out.buf.position()).putInt((int) crc.getValue()).flip();
    ByteBuffer body = out.buf.flip();
    while (head.hasRemaining() || body.hasRemaining()) {
      index.write(new ByteBuffer[] {head, body});
    }
  }

  /** A frame's payload being written: a heap buffer that grows. */
  private static final class FrameOut {
    private ByteBuffer buf;

    FrameOut(int capacity) {
      buf = ByteBuffer.allocate(Math.max(64, capacity));
    }

    private FrameOut room(int n) {
      if (buf.remaining() < n) {
        buf = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n)).put(buf.flip());
      }
      return this;
    }

    FrameOut put(byte b) {
      room(1).buf.put(b);
      return this;
    }

    FrameOut putInt(int i) {
      room(4).buf.putInt(i);
      return this;
    }

    FrameOut putLong(long l) {
      room(8).buf.putLong(l);
      return this;
    }

    FrameOut putUtf(String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      room(4 + bytes.length).buf.putInt(bytes.length).put(bytes);
      return this;
    }
  }

  /** The next frame's payload; null at the end, or where a frame is torn or corrupt. */
  private static byte[] readFrame(DataInputStream in) throws IOException {
    int length;
    int crc;
    try {
      length = in.readInt();
      crc = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    if (length <= 0 || length > (1 << 28)) {
      return null;
    }
    byte[] payload = new byte[length];
    if (readFully(in, payload) < length) {
      return null;
    }
    CRC32C check = new CRC32C();
    check.update(payload);
    return (int) check.getValue() == crc ? payload : null;
  }

  private static int readFully(InputStream in, byte[] into) throws IOException {
    int n = 0;
    while (n < into.length) {
      int r = in.read(into, n, into.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n;
  }

  @Override
  public void close() {
    try {
      if (spill != null) {
        spill.close();
      }
      if (index != null) {
        index.close();
      }
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close the saved history in " + dir, e);
    }
  }
}
