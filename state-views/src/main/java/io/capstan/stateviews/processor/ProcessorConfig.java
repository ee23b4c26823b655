package io.capstan.stateviews.processor;

import io.capstan.logschema.topics.TopicLayout;
import java.nio.file.Path;
import java.util.Map;
import io.capstan.stateviews.processor.authn.CommandAuthentication;
import io.capstan.stateviews.processor.services.ServiceNetwork;
import java.util.Objects;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * Settings of the command processor. Every default is set in {@link #defaults} and written down
 * here, once:
 * <ul>
 *   <li>{@code applicationId}: {@code <topic prefix>processor}, e.g. {@code capstan.processor}
 *       (the Kafka Streams application id: consumer group, transactional ids, changelog names);
 *   <li>{@code streamThreads}: 1;
 *   <li>{@code commitIntervalMs}: 50 (the longest a reply waits for its transaction to commit; the write
 *       bench on 2 cores: 5,500 creates/s, p99 183 ms, against 4,900 and 245 ms at 100);
 *   <li>{@code watermarkIntervalMs}: 200;
 *   <li>{@code inMemoryStores}: false (RocksDB stores under {@code stateDir});
 *   <li>{@code earlyCommitQuietMs}: 2 (commit as soon as no command has arrived for this long,
 *       so an idle cluster answers at once while a busy one batches; 0 disables);
 *   <li>{@code requestIdsPerKey}: 16 (recent request ids remembered per object key);
 *   <li>{@code requestIdRetentionMs}: 1 hour (as long as the commands topic keeps a command);
 *   <li>{@code serviceNetwork}: ClusterIPs from {@code 10.96.0.0/12}, NodePorts 30000-32767;
 *   <li>{@code authentication}: none (every command is taken as its actor says; {@code up} gives
 *       its processor the cluster's, so only components with a session ticket write).
 * </ul>
 *
 * @param kafka                Kafka client settings: {@code bootstrap.servers} plus any TLS/SASL or
 *                             other client and Kafka Streams settings, passed through unchanged
 * @param layout               the topic names
 * @param applicationId        the Kafka Streams application id
 * @param stateDir             where local state stores live
 * @param streamThreads        stream threads (tasks are spread over them)
 * @param commitIntervalMs     the Kafka Streams commit interval
 * @param watermarkIntervalMs  how often each partition emits a watermark (to the state topics that need one, see WatermarkSchedule)
 * @param inMemoryStores       keep stores in memory (restored from changelogs on start) instead of RocksDB
 * @param earlyCommitQuietMs   commit when the input has been quiet this long; 0 waits for the commit interval
 * @param requestIdsPerKey     how many recent request ids (with their replies) each object key keeps
 * @param requestIdRetentionMs how long remembered request ids of an idle key are kept
 * @param serviceNetwork       the ranges Service ClusterIPs and NodePorts are allocated from
 * @param authentication       how components' commands are authenticated (docs/identity.md section 2);
 *                             null: not at all
 */
public record ProcessorConfig(
    Map<String, Object> kafka,
    TopicLayout layout,
    String applicationId,
    Path stateDir,
    int streamThreads,
    long commitIntervalMs,
    long watermarkIntervalMs,
    boolean inMemoryStores,
    long earlyCommitQuietMs,
    int requestIdsPerKey,
    long requestIdRetentionMs,
    ServiceNetwork serviceNetwork,
    CommandAuthentication authentication) {

  public static final int DEFAULT_STREAM_THREADS = 1;
  public static final long DEFAULT_COMMIT_INTERVAL_MS = 50;
  public static final long DEFAULT_WATERMARK_INTERVAL_MS = 200;
  public static final long DEFAULT_EARLY_COMMIT_QUIET_MS = 2;
  public static final int DEFAULT_REQUEST_IDS_PER_KEY = 16;
  public static final long DEFAULT_REQUEST_ID_RETENTION_MS = TopicLayout.TRANSIENT_RETENTION_MS;

  public ProcessorConfig {
    Objects.requireNonNull(kafka, "kafka");
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(stateDir, "stateDir");
    if (kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) == null) {
      throw new IllegalArgumentException("processor config: kafka settings need bootstrap.servers");
    }
    if (applicationId == null || applicationId.isBlank()) {
      throw new IllegalArgumentException("processor config: applicationId must not be empty");
    }
    if (streamThreads < 1) {
      throw new IllegalArgumentException("processor config: streamThreads must be at least 1, got " + streamThreads);
    }
    if (commitIntervalMs < 1) {
      throw new IllegalArgumentException("processor config: commitIntervalMs must be positive, got " + commitIntervalMs);
    }
    if (watermarkIntervalMs < 1) {
      throw new IllegalArgumentException("processor config: watermarkIntervalMs must be positive, got " + watermarkIntervalMs);
    }
    if (earlyCommitQuietMs < 0) {
      throw new IllegalArgumentException("processor config: earlyCommitQuietMs must be 0 (off) or positive, got " + earlyCommitQuietMs);
    }
    if (requestIdsPerKey < 1) {
      throw new IllegalArgumentException("processor config: requestIdsPerKey must be at least 1, got " + requestIdsPerKey);
    }
    if (requestIdRetentionMs < 1) {
      throw new IllegalArgumentException("processor config: requestIdRetentionMs must be positive, got " + requestIdRetentionMs);
    }
    Objects.requireNonNull(serviceNetwork, "serviceNetwork");
    kafka = Map.copyOf(kafka);
  }

  /** The settings of the first version, with the later ones at their defaults. */
  public ProcessorConfig(Map<String, Object> kafka, TopicLayout layout, String applicationId, Path stateDir,
      int streamThreads, long commitIntervalMs, long watermarkIntervalMs, boolean inMemoryStores) {
    this(kafka, layout, applicationId, stateDir, streamThreads, commitIntervalMs, watermarkIntervalMs, inMemoryStores,
        DEFAULT_EARLY_COMMIT_QUIET_MS, DEFAULT_REQUEST_IDS_PER_KEY, DEFAULT_REQUEST_ID_RETENTION_MS,
        ServiceNetwork.defaults(), null);
  }

  public static ProcessorConfig defaults(Map<String, Object> kafka, TopicLayout layout, Path stateDir) {
    return new ProcessorConfig(kafka, layout, layout.prefix() + "processor", stateDir, DEFAULT_STREAM_THREADS,
        DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_WATERMARK_INTERVAL_MS, false);
  }

  public ProcessorConfig withApplicationId(String id) {
    return new ProcessorConfig(kafka, layout, id, stateDir, streamThreads, commitIntervalMs, watermarkIntervalMs,
        inMemoryStores, earlyCommitQuietMs, requestIdsPerKey, requestIdRetentionMs, serviceNetwork, authentication);
  }

  public ProcessorConfig withStreamThreads(int threads) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, threads, commitIntervalMs, watermarkIntervalMs,
        inMemoryStores, earlyCommitQuietMs, requestIdsPerKey, requestIdRetentionMs, serviceNetwork, authentication);
  }

  public ProcessorConfig withCommitIntervalMs(long ms) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, streamThreads, ms, watermarkIntervalMs,
        inMemoryStores, earlyCommitQuietMs, requestIdsPerKey, requestIdRetentionMs, serviceNetwork, authentication);
  }

  public ProcessorConfig withWatermarkIntervalMs(long ms) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, streamThreads, commitIntervalMs, ms,
        inMemoryStores, earlyCommitQuietMs, requestIdsPerKey, requestIdRetentionMs, serviceNetwork, authentication);
  }

  public ProcessorConfig withInMemoryStores(boolean inMemory) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, streamThreads, commitIntervalMs,
        watermarkIntervalMs, inMemory, earlyCommitQuietMs, requestIdsPerKey, requestIdRetentionMs, serviceNetwork, authentication);
  }

  public ProcessorConfig withEarlyCommitQuietMs(long ms) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, streamThreads, commitIntervalMs,
        watermarkIntervalMs, inMemoryStores, ms, requestIdsPerKey, requestIdRetentionMs, serviceNetwork, authentication);
  }

  public ProcessorConfig withRequestIds(int perKey, long retentionMs) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, streamThreads, commitIntervalMs,
        watermarkIntervalMs, inMemoryStores, earlyCommitQuietMs, perKey, retentionMs, serviceNetwork, authentication);
  }

  public ProcessorConfig withServiceNetwork(ServiceNetwork network) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, streamThreads, commitIntervalMs,
        watermarkIntervalMs, inMemoryStores, earlyCommitQuietMs, requestIdsPerKey, requestIdRetentionMs, network, authentication);
  }

  /** Commands are authenticated by {@code auth} (null: not at all). */
  public ProcessorConfig withAuthentication(CommandAuthentication auth) {
    return new ProcessorConfig(kafka, layout, applicationId, stateDir, streamThreads, commitIntervalMs,
        watermarkIntervalMs, inMemoryStores, earlyCommitQuietMs, requestIdsPerKey, requestIdRetentionMs, serviceNetwork,
        auth);
  }
}
