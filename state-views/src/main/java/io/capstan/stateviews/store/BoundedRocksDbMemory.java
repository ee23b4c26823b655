package io.capstan.stateviews.store;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * One off-heap memory budget for every RocksDB store of the process (Kafka Streams'
 * {@code rocksdb.config.setter}, as its memory-management guide bounds it): the block cache, the
 * index and filter blocks and the memtables of all stores are charged to one shared LRU cache of
 * {@link #TOTAL_BYTES}, of which memtables take at most {@link #MEMTABLE_BYTES} (past it the
 * largest is flushed). Without it each store has a 50 MB block cache of its own and up to three
 * 16 MB memtables, so the command processor's 16 local stores and its global stores could grow
 * to over a gigabyte under a write load.
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {
  /** Block cache, index and filter blocks and memtables of every store, together. */
  public static final long TOTAL_BYTES = 96L * 1024 * 1024;
  /**
   * Memtables of every store, together (counted within {@link #TOTAL_BYTES}). At the write
   * benchmark's rate (a few MB/s of objects over four partitions) a flush comes every few seconds.
   */
  public static final long MEMTABLE_BYTES = 48L * 1024 * 1024;
  /** One store's memtable: a quarter of the default, so a quiet store's memtable holds little. */
  public static final long WRITE_BUFFER_BYTES = 8L * 1024 * 1024;
  /** Share of the cache kept for index and filter blocks (high priority). */
  private static final double INDEX_AND_FILTER_RATIO = 0.1;

  private static final Cache CACHE;
  private static final WriteBufferManager WRITE_BUFFERS;

  static {
    RocksDB.loadLibrary();
    CACHE = new LRUCache(TOTAL_BYTES, -1, false, INDEX_AND_FILTER_RATIO);
    WRITE_BUFFERS = new WriteBufferManager(MEMTABLE_BYTES, CACHE);
  }

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    // Kafka Streams hands over its own table config (with its settings); a bare Options has none.
    BlockBasedTableConfig table = options.tableFormatConfig() instanceof BlockBasedTableConfig given
        ? given : new BlockBasedTableConfig();
    table.setBlockCache(CACHE);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(WRITE_BUFFERS);
    options.setWriteBufferSize(WRITE_BUFFER_BYTES);
  }

  /** The cache and write buffer manager are the process's, shared by every store: not closed with one. */
  @Override
  public void close(String storeName, Options options) {}

  /** Bytes charged to the shared cache now (blocks and memtable reservations). */
  public static long usage() {
    return CACHE.getUsage();
  }
}
