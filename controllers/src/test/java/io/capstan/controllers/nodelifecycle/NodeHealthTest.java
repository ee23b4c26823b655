package io.capstan.controllers.nodelifecycle;

import static io.capstan.controllers.nodelifecycle.Nodes.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Node;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The grace period: which signs of life move a node's probe time, measured on the controller's clock. */
class NodeHealthTest {
  private static final Duration GRACE = Duration.ofSeconds(40);
  private final NodeHealth health = new NodeHealth(new NodeLifecycleConfig(GRACE, Duration.ofSeconds(60)));

  @Test
  void aNodeSeenForTheFirstTimeGetsAFullGracePeriodFromNow() {
    // Its heartbeat is an hour old, but another controller may have watched it until now.
    NodeHealth.Probe p = health.observe(Nodes.ready("n1", T0.minusSeconds(3600)), null, T0);
    assertEquals(T0, p.probeTimestamp());
    assertEquals(GRACE, p.gracePeriod());
    assertFalse(p.expired(T0.plus(GRACE)), "exactly at the deadline it is not expired yet");
    assertTrue(p.expired(T0.plus(GRACE).plusMillis(1)));
    assertNull(p.previousReadyStatus());
  }

  @Test
  void leaseRenewalsKeepTheNodeAliveWithoutStatusPosts() {
    Node n = Nodes.ready("n1", T0);
    health.observe(n, Nodes.lease("n1", T0), T0);
    NodeHealth.Probe p = health.observe(n, Nodes.lease("n1", T0.plusSeconds(10)), T0.plusSeconds(10));
    assertEquals(T0.plusSeconds(10), p.probeTimestamp(), "a newer renewTime is a sign of life");
    p = health.observe(n, Nodes.lease("n1", T0.plusSeconds(10)), T0.plusSeconds(35));
    assertEquals(T0.plusSeconds(10), p.probeTimestamp(), "the same renewTime is not");
    assertTrue(p.expired(T0.plusSeconds(51)));
    assertFalse(p.expired(T0.plusSeconds(50)));
  }

  @Test
  void aNewReadyHeartbeatIsASignOfLifeAndAnOlderRenewTimeIsNot() {
    health.observe(Nodes.ready("n1", T0), Nodes.lease("n1", T0), T0);
    NodeHealth.Probe p = health.observe(Nodes.ready("n1", T0.plusSeconds(60)), Nodes.lease("n1", T0), T0.plusSeconds(30));
    assertEquals(T0.plusSeconds(30), p.probeTimestamp(), "the kubelet posted status: probe at our now, not its time");
    p = health.observe(Nodes.ready("n1", T0.plusSeconds(60)), Nodes.lease("n1", T0.minusSeconds(5)), T0.plusSeconds(45));
    assertEquals(T0.plusSeconds(30), p.probeTimestamp(), "a renewTime going back is no renewal");
    assertEquals("True", p.previousReadyStatus());
  }

  @Test
  void aNodeThatNeverPostedReadyGetsTheStartupGraceFromItsCreation() {
    Node bare = Nodes.node("n1", List.of(), List.of());
    NodeHealth.Probe p = health.observe(bare, null, T0);
    assertEquals(Duration.ofSeconds(60), p.gracePeriod());
    assertEquals(T0.minusSeconds(3600), p.probeTimestamp(), "created an hour ago and never heard of");
    assertTrue(p.expired(T0));
    p = health.observe(bare, Nodes.lease("n1", T0), T0.plusSeconds(1));
    assertEquals(T0.plusSeconds(1), p.probeTimestamp(), "a lease renewal counts even without status");
    p = health.observe(Nodes.ready("n1", T0), Nodes.lease("n1", T0), T0.plusSeconds(5));
    assertEquals(T0.plusSeconds(5), p.probeTimestamp(), "the first Ready condition is a sign of life");
    assertEquals(GRACE, p.gracePeriod());
  }

  @Test
  void forgettingANodeStartsAfresh() {
    health.observe(Nodes.ready("n1", T0), null, T0);
    health.forget("n1");
    assertEquals(T0.plusSeconds(100), health.observe(Nodes.ready("n1", T0), null, T0.plusSeconds(100)).probeTimestamp());
  }
}
