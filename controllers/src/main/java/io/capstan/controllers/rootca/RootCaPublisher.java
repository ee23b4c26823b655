package io.capstan.controllers.rootca;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.controllers.runtime.Controller;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.ReconcileResult;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.controllers.runtime.WorkQueue;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.threads.Housekeeping;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.ResourceEventHandler;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.processor.rules.NamespaceRules;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager's root CA certificate publisher: every namespace that is not
 * terminating gets the ConfigMap {@code kube-root-ca.crt} whose {@code ca.crt} is the cluster's CA
 * bundle (what pods use to trust the API server), with the {@code kubernetes.io/description}
 * annotation. A deleted one is created again; one whose data or annotation was changed is put
 * back (other annotations and labels are left alone). The bundle comes from a {@link RootCaFile};
 * the file is read again every {@code recheck}, and when the CA changed every namespace's copy is
 * updated, as a kube-controller-manager restarted with a new {@code --root-ca-file} does.
 *
 * <p>A work item is the key of the ConfigMap it keeps ({@code ConfigMap/ns/kube-root-ca.crt}),
 * so a sharded controller-manager publishes into the namespaces whose copy lives on its partitions.
 */
public final class RootCaPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RootCaPublisher.class);
  public static final String NAME = "root-ca-cert-publisher";
  /** The ConfigMap's name in every namespace. */
  public static final String CONFIG_MAP = "kube-root-ca.crt";
  /** Its one data key. */
  public static final String CA_KEY = "ca.crt";
  public static final String DESCRIPTION_ANNOTATION = "kubernetes.io/description";
  /** kube-controller-manager's wording, which clients may show. */
  public static final String DESCRIPTION = "Contains a CA bundle that can be used to verify the kube-apiserver when"
      + " using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is"
      + " guaranteed across distributions of Kubernetes clusters.";
  public static final Duration DEFAULT_RECHECK = Duration.ofSeconds(10);
  private static final Duration NAMESPACE_RECHECK = Duration.ofMillis(200);
  /** How long a namespace may stay unknown to the command processor before that is worth a warning. */
  private static final Duration UNKNOWN_WARNING = Duration.ofSeconds(10);

  /** Namespaces whose ConfigMap the processor refused as in a missing namespace, since when (nanoTime). */
  private final Map<String, Long> unknownSince = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Set<String> warned = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Informer<Namespace> namespaces;
  private final Informer<ConfigMap> configMaps;
  private final ObjectWriter writer;
  private final RootCaFile ca;
  private final Duration recheck;
  private final WorkQueue queue;
  private final Controller controller;
  private final Housekeeping fileWatch = Housekeeping.of("root CA publisher");

  /**
   * @param ca      the bundle to publish
   * @param recheck how often the CA file is read again for a rotated CA
   */
  public RootCaPublisher(SharedInformers informers, ObjectWriter writer, RootCaFile ca, Duration recheck, int workers,
      MeterRegistry registry) {
    this.namespaces = informers.informerFor(Kinds.NAMESPACE, Namespace.class);
    this.configMaps = informers.informerFor(Kinds.CONFIG_MAP, ConfigMap.class);
    this.writer = Objects.requireNonNull(writer, "writer");
    this.ca = Objects.requireNonNull(ca, "ca");
    if (recheck == null || recheck.isNegative() || recheck.isZero()) {
      throw new IllegalArgumentException("root CA publisher: recheck must be positive, got " + recheck);
    }
    this.recheck = recheck;
    this.queue = WorkQueue.withDefaultRateLimiter(NAME, registry);
    this.controller = new Controller(NAME, queue, this::reconcile, workers, registry);
  }

  public void shardBy(ShardAssignment shard) {
    controller.shardBy(shard, this::everyNamespace);
  }

  public void start() {
    log.info("root CA publisher starting: {} from {}", CONFIG_MAP, ca.path());
    io.capstan.controllers.runtime.LiveNamespaces.onEach(namespaces, ns -> queue.add(key(ns)));
    configMaps.addHandler(ResourceEventHandler.onAny((ConfigMap cm) -> enqueue(cm)));
    controller.start();
    fileWatch.every(recheck, recheck, this::rereadCa); // a small file: a quick read
  }

  private void enqueue(ConfigMap cm) {
    if (CONFIG_MAP.equals(cm.getMetadata().getName())) {
      queue.add(key(cm.getMetadata().getNamespace()));
    }
  }

  private List<String> everyNamespace() {
    return namespaces.list().stream().map(ns -> key(ns.getMetadata().getName())).toList();
  }

  private void rereadCa() {
    try {
      if (ca.reread()) {
        log.info("root CA in {} changed: updating {} in every namespace", ca.path(), CONFIG_MAP);
        everyNamespace().forEach(queue::add);
      }
    } catch (RuntimeException e) {
      log.warn("reading the root CA file {} failed", ca.path(), e);
    }
  }

  /** The work item of a namespace: the key of its {@code kube-root-ca.crt}. */
  static String key(String namespace) {
    return Kinds.CONFIG_MAP.kind() + "/" + namespace + "/" + CONFIG_MAP;
  }

  @Override
  public void close() {
    fileWatch.close();
    controller.close();
  }

  private void forgetUnknown(String namespace) {
    unknownSince.remove(namespace);
    warned.remove(namespace);
  }

  ReconcileResult reconcile(String key) throws Exception {
    String namespace = key.split("/", 3)[1];
    Optional<Namespace> ns = namespaces.get("", namespace);
    if (ns.isEmpty() || NamespaceRules.isTerminating(ns.get())) {
      forgetUnknown(namespace);
      return ReconcileResult.done();
    }
    Map<String, String> data = Map.of(CA_KEY, ca.pem());
    Optional<ConfigMap> current = configMaps.get(namespace, CONFIG_MAP);
    if (current.isEmpty()) {
      try {
        writer.create(ConfigMap.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace(namespace).setName(CONFIG_MAP)
                .setAnnotations(Map.of(DESCRIPTION_ANNOTATION, DESCRIPTION)).build())
            .setData(data)
            .build());
      } catch (WriteRejectedException e) {
        if (e.isNamespaceTerminating()) {
          return ReconcileResult.done(); // as kube-controller-manager: no retry into a terminating namespace
        }
        if (e.isNotFound()) {
          // Gone, or new: the namespace table reaches the ConfigMap's partition a commit after the
          // namespace is written. Look again while this cache still has it.
          if (namespaces.get("", namespace).isEmpty()) {
            forgetUnknown(namespace);
            return ReconcileResult.done();
          }
          long since = unknownSince.computeIfAbsent(namespace, n -> System.nanoTime());
          if (System.nanoTime() - since > UNKNOWN_WARNING.toNanos() && warned.add(namespace)) {
            log.warn("{} in namespace {}: the command processor still answers that the namespace does not exist,"
                + " {} s after it was first asked ({}); asking again every {} ms", CONFIG_MAP, namespace,
                UNKNOWN_WARNING.toSeconds(), e.getMessage(), NAMESPACE_RECHECK.toMillis());
          }
          return ReconcileResult.requeueAfter(NAMESPACE_RECHECK);
        }
        throw e;
      }
      if (unknownSince.remove(namespace) != null && warned.remove(namespace)) {
        log.info("{} published in namespace {} after all", CONFIG_MAP, namespace);
      }
      log.debug("{} published in namespace {}", CONFIG_MAP, namespace);
      return ReconcileResult.done();
    }
    ConfigMap cm = current.get();
    Map<String, String> annotations = cm.getMetadata().getAnnotations();
    String description = annotations == null ? null : annotations.get(DESCRIPTION_ANNOTATION);
    if (data.equals(cm.getData()) && description != null && !description.isEmpty()) {
      return ReconcileResult.done();
    }
    ConfigMap fixed = PodTemplates.copy(cm);
    fixed.setData(data);
    Map<String, String> fixedAnnotations = annotations == null ? new HashMap<>() : new HashMap<>(annotations);
    fixedAnnotations.put(DESCRIPTION_ANNOTATION, DESCRIPTION);
    fixed.getMetadata().setAnnotations(fixedAnnotations);
    writer.update(fixed);
    return ReconcileResult.done();
  }
}
