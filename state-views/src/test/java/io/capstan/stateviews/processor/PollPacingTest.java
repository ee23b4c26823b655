package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.junit.jupiter.api.Test;

class PollPacingTest {

  /** The timeouts a consumer's poll was called with. */
  @SuppressWarnings("unchecked")
  private static Consumer<byte[], byte[]> recording(List<Object> polls) {
    return (Consumer<byte[], byte[]>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
        new Class<?>[] {Consumer.class}, (p, m, args) -> {
          if (m.getName().equals("poll")) {
            polls.add(args[0]);
          }
          return m.getName().equals("toString") ? "recording" : null;
        });
  }

  @Test
  void pollsWaitLongOnlyWhileNoPunctuatorIsArmed() {
    PollPacing pacing = new PollPacing();
    List<Object> polls = new ArrayList<>();
    Consumer<byte[], byte[]> c = PollPacing.paced(recording(polls), pacing::busy);
    c.poll(Duration.ofMillis(2));
    pacing.armed();
    pacing.armed();
    c.poll(Duration.ofMillis(2));
    pacing.disarmed();
    c.poll(Duration.ofMillis(2));
    pacing.disarmed();
    c.poll(Duration.ofMillis(2));
    // A non-blocking poll stays non-blocking, and a longer one is left alone.
    c.poll(Duration.ZERO);
    c.poll(Duration.ofSeconds(3));
    assertEquals(List.of(PollPacing.IDLE_POLL, Duration.ofMillis(2), Duration.ofMillis(2), PollPacing.IDLE_POLL,
        Duration.ZERO, Duration.ofSeconds(3)), polls);
  }
}
