package io.capstan.scheduler.queue;

import io.capstan.stateviews.testing.ManualClock;

import static io.capstan.scheduler.TestObjects.podInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.scheduler.framework.ClusterEvent;
import io.capstan.scheduler.framework.PodInfo;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The queue, driven by a manual clock. */
class SchedulingQueueTest {
  private final ManualClock clock = new ManualClock();
  /** NodeResourcesFit cares about node and pod-delete events; NodeAffinity only about nodes. */
  private final Map<String, Set<ClusterEvent>> events = Map.of(
      "NodeResourcesFit", Set.of(ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE, ClusterEvent.ASSIGNED_POD_DELETE),
      "NodeAffinity", Set.of(ClusterEvent.NODE_ADD, ClusterEvent.NODE_UPDATE));
  private final SchedulingQueue queue = new SchedulingQueue(clock, Duration.ofSeconds(1), Duration.ofSeconds(10),
      Duration.ofMinutes(5), p -> events.getOrDefault(p, Set.of(ClusterEvent.values())));

  private static PodInfo pod(String name, int priority) {
    return podInfo("metadata: {name: " + name + "}\nspec: {priority: " + priority + ", containers: [{name: c}]}");
  }

  private String popName() throws InterruptedException {
    SchedulingQueue.Popped p = queue.pop(Duration.ZERO);
    return p == null ? null : p.pod().podInfo().name();
  }

  @Test
  void priorityThenArrival() throws Exception {
    queue.add(pod("low-1", 0));
    clock.advance(Duration.ofMillis(1));
    queue.add(pod("high", 100));
    clock.advance(Duration.ofMillis(1));
    queue.add(pod("low-2", 0));
    clock.advance(Duration.ofMillis(1));
    queue.add(pod("mid", 10));
    assertEquals("high", popName());
    assertEquals("mid", popName());
    assertEquals("low-1", popName());
    assertEquals("low-2", popName());
    assertNull(popName());
  }

  @ParameterizedTest(name = "attempt {0} waits {1} s")
  @CsvSource({"1, 1", "2, 2", "3, 4", "4, 8", "5, 10", "9, 10"})
  void backoffDoublesFromOneSecondToTen(int attempts, int seconds) {
    assertEquals(Duration.ofSeconds(seconds), queue.backoffDuration(attempts));
  }

  @Test
  void aFailedPodIsRetriedOnlyAfterItsBackoff() throws Exception {
    queue.add(pod("p", 0));
    SchedulingQueue.Popped first = queue.pop(Duration.ZERO);
    assertEquals(1, first.pod().attempts());
    queue.requeueWithBackoff(first);
    assertEquals("backoff", queue.whereIs("default/p"));
    clock.advance(Duration.ofMillis(999));
    queue.flushBackoffCompleted();
    assertNull(popName());
    clock.advance(Duration.ofMillis(1));
    queue.flushBackoffCompleted();
    SchedulingQueue.Popped second = queue.pop(Duration.ZERO);
    assertEquals(2, second.pod().attempts());
    queue.requeueWithBackoff(second);
    clock.advance(Duration.ofMillis(1999));
    queue.flushBackoffCompleted();
    assertNull(popName());
    clock.advance(Duration.ofMillis(1));
    queue.flushBackoffCompleted();
    assertEquals("p", popName());
  }

  @Test
  void unschedulablePodsWaitForAnEventTheirPluginsCareAbout() throws Exception {
    queue.add(pod("p", 0));
    SchedulingQueue.Popped p = queue.pop(Duration.ZERO);
    queue.addUnschedulable(p, Set.of("NodeAffinity"));
    assertEquals("unschedulable", queue.whereIs("default/p"));
    // Much later, flushes do nothing and an irrelevant event does nothing: no hot loop.
    clock.advance(Duration.ofSeconds(60));
    queue.flushBackoffCompleted();
    queue.onClusterEvent(ClusterEvent.ASSIGNED_POD_DELETE);
    assertEquals("unschedulable", queue.whereIs("default/p"));
    assertNull(popName());
    queue.onClusterEvent(ClusterEvent.NODE_ADD);
    assertEquals("p", popName());
  }

  @Test
  void anEventDuringBackoffMovesThePodToBackoffQ() throws Exception {
    queue.add(pod("p", 0));
    SchedulingQueue.Popped p = queue.pop(Duration.ZERO);
    queue.addUnschedulable(p, Set.of("NodeResourcesFit"));
    clock.advance(Duration.ofMillis(500));
    queue.onClusterEvent(ClusterEvent.ASSIGNED_POD_DELETE);
    assertEquals("backoff", queue.whereIs("default/p"));
    clock.advance(Duration.ofMillis(500));
    queue.flushBackoffCompleted();
    assertEquals("p", popName());
  }

  @Test
  void anEventWhileThePodIsInFlightIsNotLost() throws Exception {
    queue.add(pod("p", 0));
    SchedulingQueue.Popped p = queue.pop(Duration.ZERO);
    // A node is added while the attempt runs on an older snapshot.
    queue.onClusterEvent(ClusterEvent.NODE_ADD);
    queue.addUnschedulable(p, Set.of("NodeResourcesFit"));
    assertEquals("backoff", queue.whereIs("default/p"));
  }

  @Test
  void parkedPodsAreRetriedAfterFiveMinutesAnyway() throws Exception {
    queue.add(pod("p", 0));
    queue.addUnschedulable(queue.pop(Duration.ZERO), Set.of("NodeAffinity"));
    clock.advance(Duration.ofMinutes(5));
    queue.flushUnschedulableLeftover();
    assertEquals("unschedulable", queue.whereIs("default/p"));
    clock.advance(Duration.ofSeconds(1));
    queue.flushUnschedulableLeftover();
    assertEquals("p", popName());
  }

  @Test
  void anUpdateOfAParkedPodRetriesIt() throws Exception {
    queue.add(pod("p", 0));
    queue.addUnschedulable(queue.pop(Duration.ZERO), Set.of("NodeAffinity"));
    clock.advance(Duration.ofSeconds(2));
    queue.update(pod("p", 5));
    SchedulingQueue.Popped again = queue.pop(Duration.ZERO);
    assertEquals(5, again.pod().priority());
    assertEquals(2, again.pod().attempts());
  }

  @Test
  void deletedPodsLeaveEveryQueue() throws Exception {
    queue.add(pod("a", 0));
    queue.add(pod("b", 0));
    queue.addUnschedulable(queue.pop(Duration.ZERO), Set.of("NodeAffinity"));
    queue.delete("default/a");
    queue.delete("default/b");
    assertEquals(0, queue.activeSize() + queue.backoffSize() + queue.unschedulableSize());
    assertNull(popName());
  }

  @Test
  void gatedPodsWaitUntilTheirGatesAreRemoved() throws Exception {
    PodInfo gated = podInfo("metadata: {name: g}\nspec: {schedulingGates: [{name: wait}], containers: [{name: c}]}");
    queue.add(gated);
    queue.onClusterEvent(ClusterEvent.NODE_ADD);
    clock.advance(Duration.ofMinutes(10));
    queue.flushUnschedulableLeftover();
    assertNull(popName());
    queue.update(pod("g", 0));
    assertEquals("g", popName());
  }

  @Test
  void popWaitsForAnAddAndReturnsNullAfterClose() throws Exception {
    Thread adder = new Thread(() -> {
      try {
        Thread.sleep(50);
      } catch (InterruptedException ignored) {
        return;
      }
      queue.add(pod("late", 0));
    });
    adder.start();
    SchedulingQueue.Popped p = queue.pop(Duration.ofSeconds(10));
    assertEquals("late", p.pod().podInfo().name());
    queue.close();
    assertNull(queue.pop(Duration.ofSeconds(10)));
  }

  @Test
  void anAddOfAPodAlreadyInFlightDoesNotQueueItTwice() throws Exception {
    queue.add(pod("p", 0));
    SchedulingQueue.Popped p = queue.pop(Duration.ZERO);
    queue.add(pod("p", 0));
    assertNull(popName());
    queue.done(p.pod().key());
    assertNull(queue.whereIs("default/p"));
  }
}
