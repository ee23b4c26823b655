package io.capstan.stateviews.processor;

import io.capstan.logschema.topics.ObjectPartitioner;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Sends every record written to an object-keyed topic where {@link ObjectPartitioner} says: the
 * object's own partition number, and a watermark record ({@code ~watermark/P}) to partition P.
 */
final class ObjectKeyPartitioner implements StreamPartitioner<String, byte[]> {
  @Override
  public Optional<Set<Integer>> partitions(String topic, String key, byte[] value, int numPartitions) {
    if (key == null) {
      return Optional.empty();
    }
    return Optional.of(Set.of(ObjectPartitioner.partition(key, numPartitions)));
  }
}
