package io.capstan.logschema.topics;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * The one partitioner of every object-keyed topic: Kafka's default for keyed records
 * (murmur2 of the UTF-8 key), so an object's command, events and state share a partition
 * number. Watermark keys ({@code ~watermark/P}) name their partition explicitly.
 */
public final class ObjectPartitioner {
  public static final String WATERMARK_KEY_PREFIX = "~watermark/";

  private ObjectPartitioner() {}

  public static int partition(String key, int numPartitions) {
    if (key.startsWith(WATERMARK_KEY_PREFIX)) {
      return Integer.parseInt(key.substring(WATERMARK_KEY_PREFIX.length())) % numPartitions;
    }
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % numPartitions;
  }

  public static String watermarkKey(int partition) {
    return WATERMARK_KEY_PREFIX + partition;
  }

  public static boolean isWatermarkKey(String key) {
    return key != null && key.startsWith(WATERMARK_KEY_PREFIX);
  }
}
