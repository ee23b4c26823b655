package io.capstan.controllers.nodelifecycle;

import io.capstan.api.Lease;
import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.controllers.runtime.PodConditions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When this controller last saw each node show a sign of life, on its own clock (the node
 * lifecycle controller's nodeHealthMap): a new Ready heartbeat ({@code lastHeartbeatTime}) or a
 * newer Lease {@code renewTime} moves the node's probe time to "now". The times written by the
 * node are only compared with their earlier values, never with this clock, so clock skew between
 * machines cannot mark a node dead. A node seen for the first time gets a full grace period from
 * now, as after a kube-controller-manager restart or a shard moving here.
 */
final class NodeHealth {

  /** What was seen of one node: its Ready condition's heartbeat and status, its lease renewal, the probe time. */
  private record Seen(boolean hadReady, String readyHeartbeat, String readyStatus, String leaseRenewTime,
      Instant probeTimestamp) {}

  /**
   * The outcome of one observation.
   *
   * @param probeTimestamp      the last time (this clock) the node showed a sign of life
   * @param gracePeriod         how long it may stay silent: the startup grace period while it never
   *                            posted Ready, else the monitor grace period
   * @param previousReadyStatus the Ready status seen the time before (null the first time or when absent)
   */
  record Probe(Instant probeTimestamp, Duration gracePeriod, String previousReadyStatus) {
    Instant deadline() {
      return probeTimestamp.plus(gracePeriod);
    }

    /** Silent for longer than the grace period (nc.now().After(probeTimestamp + gracePeriod)). */
    boolean expired(Instant now) {
      return now.isAfter(deadline());
    }
  }

  private final NodeLifecycleConfig config;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();

  NodeHealth(NodeLifecycleConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /** Notes what {@code node} and its {@code lease} (null if none) show now; see tryUpdateNodeHealth. */
  Probe observe(Node node, Lease lease, Instant now) {
    String name = node.getMetadata().getName();
    Optional<NodeCondition> ready = NodeConditions.condition(node, NodeConditions.READY);
    Duration grace = ready.isPresent() ? config.monitorGracePeriod() : config.startupGracePeriod();
    Seen saved = seen.get(name);
    String heartbeat = ready.map(NodeCondition::getLastHeartbeatTime).orElse(null);
    Instant probe;
    if (saved == null) {
      // Never posted Ready: the startup grace counts from the node's creation, bounded by now.
      Instant created = NodeConditions.created(node);
      probe = ready.isPresent() || created.isAfter(now) ? now : created;
    } else if (saved.hadReady() != ready.isPresent()
        || (ready.isPresent() && !Objects.equals(saved.readyHeartbeat(), heartbeat))) {
      probe = now;
    } else {
      probe = saved.probeTimestamp();
    }
    String renew = lease == null || lease.getSpec() == null ? null : lease.getSpec().getRenewTime();
    String savedRenew = saved == null ? null : saved.leaseRenewTime();
    if (renew != null && (savedRenew == null || renewedSince(savedRenew, renew))) {
      probe = now; // the cheap heartbeat: kubelet renews its Lease every 10 s
    } else {
      renew = savedRenew; // keep the newest renewal seen
    }
    seen.put(name, new Seen(ready.isPresent(), heartbeat, ready.map(NodeCondition::getStatus).orElse(null), renew,
        probe));
    return new Probe(probe, grace, saved == null ? null : saved.readyStatus());
  }

  /** The node is gone (or no longer ours): a later sighting starts a fresh grace period. */
  void forget(String nodeName) {
    seen.remove(nodeName);
  }

  private static boolean renewedSince(String before, String after) {
    Optional<Instant> a = PodConditions.instant(before);
    Optional<Instant> b = PodConditions.instant(after);
    if (a.isPresent() && b.isPresent()) {
      return b.get().isAfter(a.get());
    }
    return !before.equals(after);
  }
}
