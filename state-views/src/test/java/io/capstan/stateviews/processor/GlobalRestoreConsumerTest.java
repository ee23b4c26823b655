package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class GlobalRestoreConsumerTest {
  private static final TopicPartition A0 = new TopicPartition("a", 0);
  private static final TopicPartition A1 = new TopicPartition("a", 1);

  /** A consumer that records "name:method" for every call it gets. */
  @SuppressWarnings("unchecked")
  private static Consumer<byte[], byte[]> recording(String name, List<String> calls) {
    return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
        new Class<?>[] {Consumer.class}, (p, m, args) -> {
          calls.add(name + ":" + m.getName() + (m.getName().equals("close") ? "(" + args[0] + ")" : ""));
          return m.getName().equals("position") ? 7L : null;
        });
  }

  @Test
  void aChangedAssignmentGetsAConsumerWithNothingInFlight() {
    List<String> calls = new ArrayList<>();
    int[] made = {0};
    Consumer<byte[], byte[]> c = GlobalRestoreConsumer.of(() -> recording("c" + made[0]++, calls));
    c.assign(Set.of(A0));
    c.seekToBeginning(Set.of(A0));
    c.poll(Duration.ofMillis(1));
    c.assign(Set.of(A1)); // the next partition: the first consumer is closed at once
    assertEquals(7L, c.position(A1));
    c.assign(Set.of(A1)); // the same partitions again: kept
    c.assign(Set.of(A0, A1)); // all of them, once restored
    c.poll(Duration.ofMillis(1));
    assertEquals(List.of("c0:assign", "c0:seekToBeginning", "c0:poll", "c0:close(PT0S)", "c1:assign", "c1:position",
        "c1:assign", "c1:close(PT0S)", "c2:assign", "c2:poll"), calls);
    assertEquals(3, made[0]);
  }
}
