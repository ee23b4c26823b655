package io.capstan.controllers.quota;

import io.capstan.api.ResourceQuota;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.log.Command;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.quota.ObjectUsage;
import io.capstan.logschema.quota.QuotaCheck;
import io.capstan.logschema.quota.ResourceLists;
import io.capstan.logschema.resource.Quantity;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.quota.QuotaCommands;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import io.capstan.controllers.runtime.CustomKindInformers;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.IndexedRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes' resource quota controller, for the event-sourced write path. In Kubernetes it
 * recalculates {@code status.used} from the objects; here {@code status.used} is the sum of the
 * ledger the quota's single writer keeps, so this controller recounts from its caches and,
 * when the ledger holds less than the objects use (a quota created after its objects), records
 * each object's usage (RECORD, idempotent per object), and when it holds more (an object whose
 * release never came), sends the keys of the objects it sees (PRUNE): the quota's writer asks
 * each other charged object's own partition whether it still exists, and releases it if not,
 * so a create still on its way, charged but not yet in these caches, is never released. It runs when a quota is
 * created or changed, and every {@link #RESYNC} (Kubernetes' --resource-quota-sync-period is 5m).
 *
 * <p>Kinds recounted: every namespaced kind but Events and Leases (their counts are still
 * charged on create by the write path, just not recounted).
 */
public final class ResourceQuotaController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResourceQuotaController.class);
  public static final String NAME = "resourcequota";
  /** How often each quota is recounted even when nothing changes. */
  public static final Duration RESYNC = Duration.ofSeconds(30);
  static final Set<String> NOT_RECOUNTED = Set.of("Event", "Lease");

  private final Informer<ResourceQuota> quotas;
  private final Map<Kind, Informer<IndexedRecord>> objects = new ConcurrentHashMap<>();
  private final CustomKindInformers customKinds;
  private final ObjectWriter writer;
  private final Duration writeTimeout;
  private final WorkQueue queue;
  private final Controller controller;
  private final Counter recorded;
  private final Counter pruned;
  private final Duration resync;

  public ResourceQuotaController(SharedInformers informers, ObjectWriter writer, Duration writeTimeout, int workers,
      MeterRegistry registry) {
    this(informers, writer, writeTimeout, workers, registry, RESYNC);
  }

  /** With other timings (tests). */
  ResourceQuotaController(SharedInformers informers, ObjectWriter writer, Duration writeTimeout, int workers,
      MeterRegistry registry, Duration resync) {
    this.resync = resync;
    this.quotas = informers.informerFor(Kinds.RESOURCE_QUOTA, ResourceQuota.class);
    for (Kind k : Kinds.builtIn()) {
      if (k.namespaced() && !NOT_RECOUNTED.contains(k.kind())) {
        objects.put(k, informers.informerFor(k, IndexedRecord.class));
      }
    }
    // namespaced custom kinds are counted too (count/<plural>.<group>), as they are registered
    this.customKinds = new CustomKindInformers(informers, NAME, Kind::namespaced, objects::put);
    this.writer = writer;
    this.writeTimeout = writeTimeout;
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
    this.recorded = Counter.builder("capstan.quota.controller.records")
        .description("Objects whose usage the quota controller recorded in a quota's ledger").register(registry);
    this.pruned = Counter.builder("capstan.quota.controller.prunes")
        .description("Prune commands the quota controller sent for ledger entries of vanished objects").register(registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, quotas::keys);
  }

  public void start() {
    log.info("resource quota controller starting: recounting {} kinds, resync every {}", objects.size(), resync);
    quotas.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(ResourceQuota q) {
        queue.add(OwnerRefs.key(Kinds.RESOURCE_QUOTA, q.getMetadata()));
      }

      @Override
      public void onUpdate(ResourceQuota old, ResourceQuota q) {
        // Status changes are the ledger's own doing; a new spec asks for a recount.
        if (!java.util.Objects.equals(old.getSpec(), q.getSpec())) {
          queue.add(OwnerRefs.key(Kinds.RESOURCE_QUOTA, q.getMetadata()));
        }
      }
    });
    customKinds.start();
    controller.start();
  }

  @Override
  public void close() {
    customKinds.close();
    controller.close();
  }

  ReconcileResult reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    String ns = parts[1];
    String name = parts[2];
    Optional<ResourceQuota> found = quotas.get(ns, name);
    if (found.isEmpty()) {
      return ReconcileResult.done();
    }
    ResourceQuota q = found.get();
    Map<String, String> hardText = q.getSpec() == null ? null : q.getSpec().getHard();
    if (hardText == null || hardText.isEmpty()) {
      return ReconcileResult.requeueAfter(resync);
    }
    SortedMap<String, Quantity> hard = ResourceLists.parse(hardText);
    Recount recount = recount(ns, q.getSpec());
    SortedMap<String, Quantity> expected = ResourceLists.zeroFilled(ResourceLists.mask(recount.total(), hard.keySet()),
        hard.keySet());
    SortedMap<String, Quantity> used = ResourceLists.zeroFilled(ResourceLists.mask(ResourceLists.parse(
        q.getStatus() == null ? null : q.getStatus().getUsed()), hard.keySet()), hard.keySet());
    boolean missing = false;
    boolean surplus = false;
    for (String r : hard.keySet()) {
      int c = expected.get(r).compareTo(used.get(r));
      missing |= c > 0;
      surplus |= c < 0;
    }
    List<CompletableFuture<CommandResult>> sent = new ArrayList<>();
    if (missing) {
      for (Recounted o : recount.objects().values()) {
        sent.add(writer.client().send(QuotaCommands.record(ns, name, o.kind().kind(), o.name(), o.uid(), o.usage(),
            writer.client().config().actor())));
      }
      recorded.increment(recount.objects().size());
      log.info("quota {}/{}: ledger holds {} but the objects use {}; recording {} object(s)", ns, name, used, expected,
          recount.objects().size());
    }
    if (surplus) {
      Command prune = QuotaCommands.prune(ns, name, recount.objects().keySet(), 0,
          writer.client().config().actor());
      sent.add(writer.client().send(prune));
      pruned.increment();
      log.info("quota {}/{}: ledger holds {} but the objects use {}; verifying the charges of unseen objects", ns, name, used,
          expected);
    }
    for (CompletableFuture<CommandResult> f : sent) {
      CommandResult r = f.get(writeTimeout.toMillis(), TimeUnit.MILLISECONDS);
      if (r instanceof CommandResult.Rejected rej) {
        return ReconcileResult.failed("quota " + ns + "/" + name + ": ledger command refused: "
            + rej.status().getMessage());
      }
    }
    return ReconcileResult.requeueAfter(resync);
  }

  /** What the caches say the quota's ledger should hold: each covered object's usage, by object key. */
  Recount recount(String ns, io.capstan.api.ResourceQuotaSpec spec) {
    Map<String, Recounted> out = new TreeMap<>();
    SortedMap<String, Quantity> total = new TreeMap<>();
    for (Map.Entry<Kind, Informer<IndexedRecord>> e : objects.entrySet()) {
      Kind kind = e.getKey();
      if (!QuotaCheck.covers(kind, spec.getHard())) {
        continue;
      }
      for (IndexedRecord o : e.getValue().list(ns)) {
        if (!QuotaCheck.covers(kind, spec, (IndexedRecord) o)) {
          continue; // out of the quota's scopes
        }
        io.capstan.api.ObjectMeta meta = (io.capstan.api.ObjectMeta) o.get(o.getSchema().getField("metadata").pos());
        SortedMap<String, Quantity> usage = ObjectUsage.of(kind, (IndexedRecord) o);
        String objectKey = new ObjectKey(kind.kind(), ns, meta.getName()).toString();
        out.put(objectKey, new Recounted(kind, meta.getName(), meta.getUid(), usage));
        total = ResourceLists.add(total, usage);
      }
    }
    return new Recount(out, total);
  }

  record Recounted(Kind kind, String name, String uid, SortedMap<String, Quantity> usage) {}

  record Recount(Map<String, Recounted> objects, SortedMap<String, Quantity> total) {}
}
