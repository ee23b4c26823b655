package io.capstan.stateviews.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** Stores opened with the setter charge their memtables and blocks to the one shared budget. */
class BoundedRocksDbMemoryTest {

  @Test
  void storesShareOneBoundedBudget() throws Exception {
    BoundedRocksDbMemory setter = new BoundedRocksDbMemory();
    Path dir = Files.createTempDirectory("bounded-rocksdb");
    long before = BoundedRocksDbMemory.usage();
    try (Options a = new Options().setCreateIfMissing(true); Options b = new Options().setCreateIfMissing(true)) {
      setter.setConfig("a", a, Map.of());
      setter.setConfig("b", b, Map.of());
      assertEquals(BoundedRocksDbMemory.WRITE_BUFFER_BYTES, a.writeBufferSize());
      try (RocksDB one = RocksDB.open(a, dir.resolve("a").toString());
           RocksDB two = RocksDB.open(b, dir.resolve("b").toString())) {
        byte[] value = "x".repeat(1000).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 2000; i++) {
          one.put(("k" + i).getBytes(StandardCharsets.UTF_8), value);
          two.put(("k" + i).getBytes(StandardCharsets.UTF_8), value);
        }
        long usage = BoundedRocksDbMemory.usage();
        assertTrue(usage > before, "the memtables of both stores are charged to the shared cache: " + before
            + " -> " + usage);
        assertTrue(usage <= BoundedRocksDbMemory.TOTAL_BYTES, "within the budget: " + usage);
      }
      setter.close("a", a);
      setter.close("b", b);
    }
  }
}
