package io.capstan.controllers.serviceaccount;

import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.ServiceAccount;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.rules.NamespaceRules;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * kube-controller-manager's ServiceAccounts controller: every namespace that is not terminating
 * has a ServiceAccount called {@code default}, created with the namespace and created again when
 * deleted (pods that name no ServiceAccount run as it). Nothing else about it is kept: a user may
 * change it freely.
 *
 * <p>A work item is the key of the ServiceAccount it keeps ({@code ServiceAccount/ns/default}),
 * so a sharded controller-manager keeps those whose key lives on its partitions.
 */
public final class DefaultServiceAccounts implements AutoCloseable {
  public static final String NAME = "serviceaccount";
  /** The ServiceAccount every namespace gets. */
  public static final String DEFAULT = "default";
  private static final Duration NAMESPACE_RECHECK = Duration.ofMillis(200);

  private final Informer<Namespace> namespaces;
  private final Informer<ServiceAccount> serviceAccounts;
  private final ObjectWriter writer;
  private final WorkQueue queue;
  private final Controller controller;

  public DefaultServiceAccounts(SharedInformers informers, ObjectWriter writer, int workers, MeterRegistry registry) {
    this.namespaces = informers.informerFor(Kinds.NAMESPACE, Namespace.class);
    this.serviceAccounts = informers.informerFor(Kinds.SERVICE_ACCOUNT, ServiceAccount.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, this::everyNamespace);
  }

  public void start() {
    io.capstan.controllers.runtime.LiveNamespaces.onEach(namespaces, ns -> queue.add(key(ns)));
    serviceAccounts.addHandler(new ResourceEventHandler<>() {
      @Override
      public void onDelete(ServiceAccount sa) {
        if (DEFAULT.equals(sa.getMetadata().getName())) {
          queue.add(key(sa.getMetadata().getNamespace()));
        }
      }
    });
    controller.start();
  }

  private List<String> everyNamespace() {
    return namespaces.list().stream().map(ns -> key(ns.getMetadata().getName())).toList();
  }

  /** The work item of a namespace: the key of its {@code default} ServiceAccount. */
  static String key(String namespace) {
    return Kinds.SERVICE_ACCOUNT.kind() + "/" + namespace + "/" + DEFAULT;
  }

  ReconcileResult reconcile(String key) throws Exception {
    String namespace = key.split("/", 3)[1];
    Optional<Namespace> ns = namespaces.get("", namespace);
    if (ns.isEmpty() || NamespaceRules.isTerminating(ns.get())
        || serviceAccounts.get(namespace, DEFAULT).isPresent()) {
      return ReconcileResult.done();
    }
    try {
      writer.create(ServiceAccount.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace(namespace).setName(DEFAULT).build())
          .build());
    } catch (WriteRejectedException e) {
      if (e.isAlreadyExists() || e.isNamespaceTerminating()) {
        return ReconcileResult.done(); // the cache was behind; or, as kube: no retry into a terminating namespace
      }
      if (e.isNotFound()) {
        // The namespace table reaches the ServiceAccount's partition a commit after the namespace
        // is written: look again while this cache still has the namespace.
        return namespaces.get("", namespace).isPresent() ? ReconcileResult.requeueAfter(NAMESPACE_RECHECK)
            : ReconcileResult.done();
      }
      throw e;
    }
    return ReconcileResult.done();
  }

  @Override
  public void close() {
    controller.close();
  }
}
