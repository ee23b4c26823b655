package io.capstan.controllers.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a controller is still waiting to see of its own writes, per owner key: the ReplicaSet
 * controller's UIDTrackingControllerExpectations. Before creating n pods it expects n adds;
 * before deleting pods it expects those pods' deletions. The informer's handlers lower the
 * counts as the writes come back through the watch, and the owner is synced again only when
 * its expectations are satisfied (or older than the TTL, 5 minutes as in Kubernetes, so a lost
 * event cannot block an owner forever). Without this a resync that runs before the cache shows
 * the new pods would create them a second time.
 *
 * <p>Deletions are tracked by pod key rather than counted, so a pod observed twice on its way
 * out (marked for deletion, then removed) lowers the expectation once.
 */
public final class Expectations {
  /** As Kubernetes' ExpectationsTimeout. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  private final Ticker ticker;
  private final long ttlNanos;
  private final Map<String, Expected> byOwner = new HashMap<>();

  private static final class Expected {
    int adds;
    final Set<String> deletes = new HashSet<>();
    long setAtNanos;
  }

  public Expectations(Ticker ticker, Duration ttl) {
    if (ticker == null || ttl == null || ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("expectations: need a ticker and a positive ttl, got " + ttl);
    }
    this.ticker = ticker;
    this.ttlNanos = ttl.toNanos();
  }

  public Expectations() {
    this(Ticker.system(), DEFAULT_TTL);
  }

  /** Expect {@code count} creations for the owner, replacing what was expected before. */
  public synchronized void expectCreations(String ownerKey, int count) {
    Expected e = new Expected();
    e.adds = count;
    e.setAtNanos = ticker.nanos();
    byOwner.put(ownerKey, e);
  }

  /** Expect these objects (by key) to be deleted, replacing what was expected before. */
  public synchronized void expectDeletions(String ownerKey, Set<String> objectKeys) {
    Expected e = new Expected();
    e.deletes.addAll(objectKeys);
    e.setAtNanos = ticker.nanos();
    byOwner.put(ownerKey, e);
  }

  /** Expect creations and deletions at once (SetExpectations), replacing what was expected before. */
  public synchronized void expect(String ownerKey, int creations, Set<String> deletions) {
    Expected e = new Expected();
    e.adds = creations;
    e.deletes.addAll(deletions);
    e.setAtNanos = ticker.nanos();
    byOwner.put(ownerKey, e);
  }

  /** An object the owner created was seen (or its create failed: nothing will be seen). */
  public synchronized void creationObserved(String ownerKey) {
    Expected e = byOwner.get(ownerKey);
    if (e != null && e.adds > 0) {
      e.adds--;
    }
  }

  /** An object the owner deleted was seen gone or going (or its delete failed). */
  public synchronized void deletionObserved(String ownerKey, String objectKey) {
    Expected e = byOwner.get(ownerKey);
    if (e != null) {
      e.deletes.remove(objectKey);
    }
  }

  /**
   * Whether the owner may be synced: nothing is expected, everything expected was seen, or the
   * expectations are older than the TTL.
   */
  public synchronized boolean satisfied(String ownerKey) {
    Expected e = byOwner.get(ownerKey);
    if (e == null) {
      return true;
    }
    if (e.adds <= 0 && e.deletes.isEmpty()) {
      return true;
    }
    return ticker.nanos() - e.setAtNanos > ttlNanos;
  }

  /** Forgets the owner (it was deleted). */
  public synchronized void forget(String ownerKey) {
    byOwner.remove(ownerKey);
  }

  /** Pending creations and deletions of an owner, for logs and tests. */
  public synchronized String describe(String ownerKey) {
    Expected e = byOwner.get(ownerKey);
    return e == null ? "none" : "adds=" + e.adds + " deletes=" + e.deletes.size();
  }
}
