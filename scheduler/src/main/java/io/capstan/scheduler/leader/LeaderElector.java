package io.capstan.scheduler.leader;

import io.capstan.api.Lease;
import io.capstan.api.LeaseSpec;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.stateviews.informer.Informer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * client-go's LeaderElector on a Lease. Every retry period it reads the lease (the informer's
 * copy or its own last write, whichever is newer) and either renews it (holder), or takes it
 * when it is free or has not changed for leaseDuration by the local clock (never trusting the
 * holder's clock, as observedTime in client-go). Every write carries the resourceVersion it was
 * based on, so of two candidates only one wins; the other gets a 409 and stays standby. A
 * leader that cannot renew within renewDeadline stops leading before its lease can expire for
 * the others. On close the leader releases the lease so a standby takes over at once.
 */
public final class LeaderElector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  /** What the owner does on gaining and losing the lease; called on the elector's thread. */
  public interface Callbacks {
    void startedLeading();

    void stoppedLeading();
  }

  private final LeaderElectionConfig config;
  private final CommandClient client;
  private final Informer<Lease> leases;
  private final Clock clock;
  private final Callbacks callbacks;
  private final Thread thread;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile boolean running;
  private volatile boolean leading;
  private Lease observed;
  private Instant observedTime;
  private Instant lastRenew;

  public LeaderElector(LeaderElectionConfig config, CommandClient client, Informer<Lease> leases, Clock clock,
      Callbacks callbacks) {
    this.config = config;
    this.client = client;
    this.leases = leases;
    this.clock = clock;
    this.callbacks = callbacks;
    this.thread = new Thread(this::run, "leader-elector-" + config.name());
    this.thread.setDaemon(true);
  }

  public void start() {
    running = true;
    log.info("{} competing for lease {}/{} (lease {}, renew deadline {}, retry {})", config.identity(), config.namespace(),
        config.name(), config.leaseDuration(), config.renewDeadline(), config.retryPeriod());
    thread.start();
  }

  public boolean isLeader() {
    return leading;
  }

  public String identity() {
    return config.identity();
  }

  private void run() {
    while (running) {
      try {
        boolean ok = tryAcquireOrRenew();
        Instant now = clock.instant();
        if (ok) {
          lastRenew = now;
          if (!leading) {
            leading = true;
            log.info("{} became leader of {}/{}", config.identity(), config.namespace(), config.name());
            callbacks.startedLeading();
          }
        } else if (leading && (lastRenew == null || Duration.between(lastRenew, now).compareTo(config.renewDeadline()) > 0)) {
          leading = false;
          log.warn("{} lost lease {}/{}: not renewed within {}", config.identity(), config.namespace(), config.name(),
              config.renewDeadline());
          callbacks.stoppedLeading();
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("leader election round failed", e);
      }
      try {
        if (stopping.await(config.retryPeriod().toMillis(), TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One round; true when this candidate holds a valid lease afterwards. */
  boolean tryAcquireOrRenew() throws InterruptedException {
    Lease current = newest(leases.get(config.namespace(), config.name()).orElse(null), observed);
    Instant now = clock.instant();
    if (current == null) {
      Lease fresh = Lease.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(config.namespace()).setName(config.name()).build())
          .setSpec(spec(null, now, 0))
          .build();
      return write(client.create(fresh), now);
    }
    if (observed == null || !Objects.equals(rv(observed), rv(current))) {
      observed = current;
      observedTime = now;
    }
    LeaseSpec spec = current.getSpec() == null ? LeaseSpec.newBuilder().build() : current.getSpec();
    String holder = spec.getHolderIdentity();
    boolean mine = config.identity().equals(holder);
    boolean held = holder != null && !holder.isEmpty();
    if (!mine && held && observedTime.plus(duration(spec)).isAfter(now)) {
      return false;
    }
    Lease next = Lease.newBuilder(current).build();
    int transitions = spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions();
    next.setSpec(mine ? renewed(spec, now) : spec(spec, now, transitions + 1));
    return write(client.update(next), now);
  }

  private boolean write(java.util.concurrent.CompletableFuture<CommandResult> sent, Instant now) throws InterruptedException {
    try {
      CommandResult r = sent.get(config.renewDeadline().toMillis(), TimeUnit.MILLISECONDS);
      if (r instanceof CommandResult.Accepted a) {
        observed = a.objectAs(Lease.class);
        observedTime = now;
        return true;
      }
      return false;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.debug("lease write failed: {}", e.toString());
      return false;
    }
  }

  private LeaseSpec spec(LeaseSpec was, Instant now, int transitions) {
    String t = now.toString();
    return LeaseSpec.newBuilder()
        .setHolderIdentity(config.identity())
        .setLeaseDurationSeconds((int) Math.max(1, config.leaseDuration().toSeconds()))
        .setAcquireTime(t).setRenewTime(t)
        .setLeaseTransitions(transitions)
        .build();
  }

  private static LeaseSpec renewed(LeaseSpec was, Instant now) {
    LeaseSpec s = LeaseSpec.newBuilder(was).build();
    s.setRenewTime(now.toString());
    return s;
  }

  private Duration duration(LeaseSpec spec) {
    return spec.getLeaseDurationSeconds() == null ? config.leaseDuration() : Duration.ofSeconds(spec.getLeaseDurationSeconds());
  }

  private static Lease newest(Lease a, Lease b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return Long.parseLong(rv(a)) >= Long.parseLong(rv(b)) ? a : b;
  }

  private static String rv(Lease l) {
    String rv = l.getMetadata().getResourceVersion();
    return rv == null ? "0" : rv;
  }

  /** Stops competing; a leader releases the lease (ReleaseOnCancel) so a standby takes over at once. */
  @Override
  public void close() {
    close(true);
  }

  /**
   * {@code release=false} leaves the lease to expire, as a crashed process would. The loop is
   * woken, not interrupted: a renewal cut off mid-write may still be applied, and the release
   * would then carry a stale resourceVersion and be refused.
   */
  public void close(boolean release) {
    running = false;
    stopping.countDown();
    try {
      thread.join(config.renewDeadline().toMillis() + config.retryPeriod().toMillis() + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
    if (leading && release) {
      release();
    }
    if (leading) {
      leading = false;
      callbacks.stoppedLeading();
    }
  }

  /** Hands the lease back: empty holder, one-second duration; re-reads and retries on a conflict. */
  private void release() {
    for (int attempt = 0; attempt < 3; attempt++) {
      Lease current = newest(leases.get(config.namespace(), config.name()).orElse(null), observed);
      if (current == null || current.getSpec() == null || !config.identity().equals(current.getSpec().getHolderIdentity())) {
        return;
      }
      Lease released = Lease.newBuilder(current).build();
      LeaseSpec s = LeaseSpec.newBuilder(current.getSpec()).build();
      s.setHolderIdentity("");
      s.setLeaseDurationSeconds(1);
      released.setSpec(s);
      try {
        CommandResult r = client.update(released).get(config.renewDeadline().toMillis(), TimeUnit.MILLISECONDS);
        if (r instanceof CommandResult.Accepted a) {
          observed = a.objectAs(Lease.class);
          log.info("{} released lease {}/{}", config.identity(), config.namespace(), config.name());
          return;
        }
        if (r instanceof CommandResult.Rejected rejected && rejected.resourceVersion() > Long.parseLong(rv(current))) {
          awaitInformerPast(rejected.resourceVersion());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        log.warn("releasing lease {}/{} failed: {}", config.namespace(), config.name(), e.toString());
        return;
      }
    }
    log.warn("releasing lease {}/{} failed: it kept changing; it expires after {}", config.namespace(), config.name(),
        config.leaseDuration());
  }

  private void awaitInformerPast(long resourceVersion) throws InterruptedException {
    long deadline = System.nanoTime() + config.renewDeadline().toNanos();
    while (System.nanoTime() < deadline) {
      Lease seen = leases.get(config.namespace(), config.name()).orElse(null);
      if (seen != null && Long.parseLong(rv(seen)) >= resourceVersion) {
        return;
      }
      Thread.sleep(10);
    }
  }
}
