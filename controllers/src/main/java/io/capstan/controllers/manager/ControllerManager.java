package io.capstan.controllers.manager;

import io.capstan.controllers.deployment.DeploymentController;
import io.capstan.controllers.gc.GarbageCollector;
import io.capstan.controllers.gc.OwnerGraph;
import io.capstan.controllers.endpoints.EndpointsController;
import io.capstan.controllers.endpointslice.EndpointSliceController;
import io.capstan.controllers.job.JobController;
import io.capstan.controllers.crd.DefinitionCleanupController;
import io.capstan.controllers.namespace.NamespaceController;
import io.capstan.controllers.rootca.RootCaFile;
import io.capstan.controllers.rootca.RootCaPublisher;
import io.capstan.controllers.nodelifecycle.NodeLifecycleController;
import io.capstan.controllers.quota.ResourceQuotaController;
import io.capstan.controllers.replicaset.ReplicaSetController;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.ShardAssignment;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-controller-manager in one object: shared informers (each kind read once), one command
 * client, and the controllers, started after the caches have synced so no controller acts on a
 * half-listed world.
 */
public final class ControllerManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControllerManager.class);
  public static final String COMPONENT = "controllers";
  /** Who the controllers' commands act as (bound to the default role of that name). */
  public static final String IDENTITY = "system:kube-controller-manager";

  private final ControllerManagerConfig config;
  private final MeterRegistry registry;
  private final List<AutoCloseable> started = new ArrayList<>();
  private SharedInformers informers;
  private CommandClient client;
  private ReplicaSetController replicaSets;
  private DeploymentController deployments;
  private GarbageCollector gc;
  private JobController jobs;
  private NamespaceController namespaces;
  private DefinitionCleanupController definitionCleanup;
  private EndpointsController endpoints;
  private EndpointSliceController endpointSlices;
  private NodeLifecycleController nodeLifecycle;
  private ResourceQuotaController quotas;
  private io.capstan.controllers.rbac.ClusterRoleAggregationController roleAggregation;
  private io.capstan.controllers.serviceaccount.DefaultServiceAccounts serviceAccounts;
  private io.capstan.controllers.disruption.DisruptionController disruption;
  private io.capstan.controllers.cronjob.CronJobController cronJobs;
  private io.capstan.controllers.volume.PersistentVolumeBinder volumeBinder;
  private io.capstan.controllers.daemonset.DaemonSetController daemonSets;
  private io.capstan.controllers.statefulset.StatefulSetController statefulSets;
  private io.capstan.controllers.podgc.PodGarbageCollector podGc;
  private io.capstan.controllers.hpa.HorizontalPodAutoscalerController autoscalers;
  /** Null when no root CA file is configured. */
  private RootCaPublisher rootCa;
  private ShardAssignment shard;

  /** Null when the manager reads the state topics through informers of its own. */
  private final SharedInformers shared;

  public ControllerManager(ControllerManagerConfig config, MeterRegistry registry) {
    this(config, null, registry);
  }

  /**
   * A manager whose controllers read through informers shared with other components of the
   * process ({@code capstan up}); it borrows a handle and leaves closing them to their owner.
   *
   * @param shared the process's informers, or null for informers of its own
   */
  public ControllerManager(ControllerManagerConfig config, SharedInformers shared, MeterRegistry registry) {
    this.config = config;
    this.shared = shared;
    this.registry = registry;
  }

  /** Creates the informers and client and registers the controllers; {@link #awaitReady} starts them. */
  public synchronized void start() {
    log.info("controller manager starting: replicaset, deployment, job, garbage-collector, namespace, customresourcedefinition-cleanup, endpoints, endpointslice, node-lifecycle{}, resourcequota, clusterrole-aggregation, disruption, cronjob, daemonset, statefulset, persistentvolume-binder, podgc and horizontal-pod-autoscaler controllers, {} workers each",
        config.rootCaFile() == null ? "" : ", root-ca-cert-publisher", config.workers());
    RootCaFile rootCaFile = null;
    if (config.rootCaFile() != null) {
      try {
        rootCaFile = RootCaFile.open(config.rootCaFile());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("the root CA publisher cannot read its CA bundle: " + e.getMessage(), e);
      }
    }
    informers = SharedInformers.borrowOrOwn(shared, InformerConfig.defaults(config.kafka(), config.layout(), COMPONENT),
        registry);
    started.add(informers);
    // The controllers act as system:kube-controller-manager, which the command processor authorizes.
    client = new CommandClient(CommandClientConfig.identified(config.kafka(), config.layout(), COMPONENT,
        IDENTITY), registry);
    started.add(client);
    ObjectWriter writer = new ObjectWriter(client, config.writeTimeout());
    Clock clock = Clock.systemUTC();
    replicaSets = new ReplicaSetController(informers, writer, clock, config.workers(), registry);
    deployments = new DeploymentController(informers, writer, clock, config.workers(), registry);
    jobs = new JobController(informers, writer, clock, JobController.DEFAULT_POD_FAILURE_BACKOFF, config.workers(),
        registry);
    gc = new GarbageCollector(informers, OwnerGraph.defaultKinds(), writer, config.workers(), registry);
    namespaces = new NamespaceController(informers, writer, clock, 1, registry);
    definitionCleanup = new DefinitionCleanupController(informers, writer, clock, 1, registry);
    endpoints = new EndpointsController(informers, writer, config.workers(), registry);
    endpointSlices = new EndpointSliceController(informers, writer, config.workers(), registry);
    nodeLifecycle = new NodeLifecycleController(informers, writer, clock, config.nodeLifecycle(), config.workers(),
        registry);
    quotas = new ResourceQuotaController(informers, writer, config.writeTimeout(), 1, registry);
    roleAggregation = new io.capstan.controllers.rbac.ClusterRoleAggregationController(informers, writer, 1, registry);
    serviceAccounts = new io.capstan.controllers.serviceaccount.DefaultServiceAccounts(informers, writer, 1, registry);
    disruption = new io.capstan.controllers.disruption.DisruptionController(informers, writer, clock, config.workers(),
        registry);
    cronJobs = new io.capstan.controllers.cronjob.CronJobController(informers, writer, clock, 1, registry);
    daemonSets = new io.capstan.controllers.daemonset.DaemonSetController(informers, writer, clock, config.workers(),
        registry);
    statefulSets = new io.capstan.controllers.statefulset.StatefulSetController(informers, writer, clock,
        config.workers(), registry);
    volumeBinder = new io.capstan.controllers.volume.PersistentVolumeBinder(informers, writer, clock, config.workers(),
        registry);
    podGc = new io.capstan.controllers.podgc.PodGarbageCollector(informers, writer, clock, config.podGc(), registry);
    autoscalers = new io.capstan.controllers.hpa.HorizontalPodAutoscalerController(informers, writer,
        podUsage(config.autoscaler(), clock), clock, config.autoscaler(), config.workers(), registry);
    if (rootCaFile != null) {
      rootCa = new RootCaPublisher(informers, writer, rootCaFile, RootCaPublisher.DEFAULT_RECHECK, 1, registry);
    }
    informers.start();
  }

  /** Waits for the caches to sync, then starts the controllers. */
  public synchronized void awaitReady(Duration timeout) throws InterruptedException {
    if (!informers.awaitSynced(timeout)) {
      throw new IllegalStateException("the controllers' informers did not sync within " + timeout);
    }
    if (shard != null) {
      return;
    }
    // Several controller-managers split the keys by consumer-group assignment of the partitions.
    shard = new ShardAssignment(config.kafka(), config.layout().state(Kinds.REPLICA_SET),
        config.layout().prefix() + COMPONENT, client.config().clientId(), ShardAssignment.DEFAULT_SESSION_TIMEOUT);
    replicaSets.shardBy(shard);
    deployments.shardBy(shard);
    jobs.shardBy(shard);
    gc.shardBy(shard);
    namespaces.shardBy(shard);
    definitionCleanup.shardBy(shard);
    endpoints.shardBy(shard);
    endpointSlices.shardBy(shard);
    nodeLifecycle.shardBy(shard);
    quotas.shardBy(shard);
    roleAggregation.shardBy(shard);
    serviceAccounts.shardBy(shard);
    disruption.shardBy(shard);
    cronJobs.shardBy(shard);
    daemonSets.shardBy(shard);
    statefulSets.shardBy(shard);
    volumeBinder.shardBy(shard);
    podGc.shardBy(shard);
    autoscalers.shardBy(shard);
    if (rootCa != null) {
      rootCa.shardBy(shard);
    }
    replicaSets.start();
    started.add(replicaSets);
    deployments.start();
    started.add(deployments);
    jobs.start();
    started.add(jobs);
    gc.start();
    started.add(gc);
    namespaces.start();
    started.add(namespaces);
    definitionCleanup.start();
    started.add(definitionCleanup);
    endpoints.start();
    started.add(endpoints);
    endpointSlices.start();
    started.add(endpointSlices);
    nodeLifecycle.start();
    started.add(nodeLifecycle);
    quotas.start();
    started.add(quotas);
    roleAggregation.start();
    started.add(roleAggregation);
    serviceAccounts.start();
    started.add(serviceAccounts);
    disruption.start();
    started.add(disruption);
    cronJobs.start();
    started.add(cronJobs);
    daemonSets.start();
    started.add(daemonSets);
    statefulSets.start();
    started.add(statefulSets);
    volumeBinder.start();
    started.add(volumeBinder);
    podGc.start();
    started.add(podGc);
    autoscalers.start();
    started.add(autoscalers);
    if (rootCa != null) {
      rootCa.start();
      started.add(rootCa);
    }
    shard.start();
    // closed before the controllers (reverse order): the group moves our share while we still finish in-flight work
    started.add(shard);
    if (!shard.awaitAssignment(timeout)) {
      throw new IllegalStateException("the controllers got no partition assignment from group "
          + config.layout().prefix() + COMPONENT + " within " + timeout);
    }
    log.info("controller manager running, reconciling partitions {} of {}", shard.owned(), shard.partitionCount());
  }

  /**
   * Where the autoscaler reads pod usage: the node agents, scraped with the configured client
   * certificate; without one, nowhere (every autoscaler then says it got no metrics).
   */
  private io.capstan.controllers.hpa.PodUsage podUsage(io.capstan.controllers.hpa.AutoscalerConfig autoscaler,
      Clock clock) {
    if (autoscaler.kubeletClientCert() == null) {
      log.info("horizontal pod autoscaler: no client certificate for node agents, so no resource metrics");
      return pods -> java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException(
          "the controller manager has no client certificate for node agents"));
    }
    var nodes = informers.informerFor(Kinds.NODE, io.capstan.api.Node.class);
    try {
      var metrics = new io.capstan.stateviews.resourcemetrics.ResourceMetrics(name -> nodes.get("", name)
          .map(java.util.concurrent.CompletableFuture::completedFuture)
          .orElseGet(() -> java.util.concurrent.CompletableFuture.failedFuture(
              new IllegalStateException("node " + name + " not found"))),
          new io.capstan.stateviews.resourcemetrics.KubeletClient(
              new io.capstan.stateviews.resourcemetrics.KubeletClient.ClientCertificate(autoscaler.kubeletClientCert(),
                  autoscaler.kubeletClientKey()), clock), clock);
      return metrics::podUsage;
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the horizontal pod autoscaler cannot read its client certificate: "
          + e.getMessage(), e);
    }
  }

  /** The partitions this instance reconciles (empty before it is ready). */
  public java.util.Set<Integer> ownedPartitions() {
    return shard == null ? java.util.Set.of() : shard.owned();
  }

  @Override
  public synchronized void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        log.warn("closing {} failed", started.get(i), e);
      }
    }
    started.clear();
  }
}
