package io.capstan.stateviews.informer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class AppliedVersionsTest {
  private static final Executor INLINE = Runnable::run;

  @Test
  void aPartitionIsClosedAtItsHigherOfRecordAndWatermark() {
    AppliedVersions v = new AppliedVersions(List.of(0));
    assertEquals(0, v.closed(0));
    assertTrue(v.recordApplied(0, 100));
    assertEquals(100, v.closed(0));
    assertTrue(v.watermarkApplied(0, 150, 7));
    assertEquals(150, v.closed(0));
    assertFalse(v.recordApplied(0, 120), "a record below the watermark does not move the closed rv");
    assertEquals(120, v.appliedRv(0));
    assertFalse(v.watermarkApplied(0, 140, 8), "watermarks never go back");
    assertEquals(150, v.watermark(0));
    assertEquals(7, v.watermarkTimeMicros(0));
  }

  @Test
  void theListVersionIsTheSlowestPartition() {
    AppliedVersions v = new AppliedVersions(List.of(0, 1, 2));
    v.recordApplied(0, 1000);
    v.recordApplied(1, 2000);
    assertEquals(0, v.listResourceVersion(), "partition 2 has told us nothing yet");
    v.watermarkApplied(2, 1500, 0);
    assertEquals(1000, v.listResourceVersion());
    v.watermarkApplied(0, 3000, 0);
    assertEquals(1500, v.listResourceVersion());
    v.watermarkApplied(2, 2500, 0);
    assertEquals(2000, v.listResourceVersion());
    assertEquals(Map.of(0, 3000L, 1, 2000L, 2, 2500L), v.closedByPartition());
  }

  @Test
  void waitersCompleteInOrderWhenTheirVersionIsReached() {
    AppliedVersions v = new AppliedVersions(List.of(0, 1));
    CompletableFuture<Void> at10 = v.whenClosed(0, 10, INLINE);
    CompletableFuture<Void> at20 = v.whenClosed(0, 20, INLINE);
    CompletableFuture<Void> other = v.whenClosed(1, 5, INLINE);
    v.recordApplied(0, 15);
    v.release(0, INLINE);
    assertTrue(at10.isDone());
    assertFalse(at20.isDone());
    assertFalse(other.isDone(), "another partition's progress does not count");
    v.watermarkApplied(0, 20, 0);
    v.release(0, INLINE);
    assertTrue(at20.isDone());
    assertTrue(v.whenClosed(0, 20, INLINE).isDone(), "already reached: done at once");
  }

  @Test
  void cancelledWaitersAreForgottenAndClosingFailsTheRest() {
    AppliedVersions v = new AppliedVersions(List.of(0));
    CompletableFuture<Void> gaveUp = v.whenClosed(0, 10, INLINE);
    CompletableFuture<Void> waiting = v.whenClosed(0, 10, INLINE);
    gaveUp.cancel(false);
    v.failWaiters(new IllegalStateException("closed"));
    assertTrue(waiting.isCompletedExceptionally());
  }

  @Test
  void partitionsNotReadAreRefusedByNumber() {
    AppliedVersions v = new AppliedVersions(List.of(1, 3));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.whenClosed(2, 1, INLINE));
    assertTrue(e.getMessage().contains("partition 2") && e.getMessage().contains("[1, 3]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new AppliedVersions(List.of()));
  }
}
