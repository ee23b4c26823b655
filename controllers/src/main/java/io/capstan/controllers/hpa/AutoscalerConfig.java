package io.capstan.controllers.hpa;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The horizontal pod autoscaler's settings, kube-controller-manager's flags of the same names.
 *
 * @param syncPeriod             how often each autoscaler is evaluated
 *                               ({@code --horizontal-pod-autoscaler-sync-period}, 15 s)
 * @param downscaleStabilization the scale-down window of autoscalers without {@code behavior}
 *                               ({@code --horizontal-pod-autoscaler-downscale-stabilization}, 5 min)
 * @param kubeletClientCert      the client certificate (PEM) the controller presents to node agents
 *                               to read their {@code /metrics/resource}; null: no resource metrics,
 *                               so every autoscaler reports {@code FailedGetResourceMetric}
 * @param kubeletClientKey       its PKCS#8 private key (PEM)
 */
public record AutoscalerConfig(Duration syncPeriod, Duration downscaleStabilization, Path kubeletClientCert,
    Path kubeletClientKey) {
  public static final Duration DEFAULT_SYNC_PERIOD = Duration.ofSeconds(15);
  public static final Duration DEFAULT_DOWNSCALE_STABILIZATION = Duration.ofMinutes(5);

  public AutoscalerConfig {
    if (syncPeriod == null || syncPeriod.isNegative() || syncPeriod.isZero()) {
      throw new IllegalArgumentException("--horizontal-pod-autoscaler-sync-period must be positive, got " + syncPeriod);
    }
    if (downscaleStabilization == null || downscaleStabilization.isNegative()) {
      throw new IllegalArgumentException("--horizontal-pod-autoscaler-downscale-stabilization must not be negative, got "
          + downscaleStabilization);
    }
    if ((kubeletClientCert == null) != (kubeletClientKey == null)) {
      throw new IllegalArgumentException("the autoscaler's kubelet client needs both a certificate and its key, got "
          + kubeletClientCert + " and " + kubeletClientKey);
    }
  }

  public static AutoscalerConfig defaults() {
    return new AutoscalerConfig(DEFAULT_SYNC_PERIOD, DEFAULT_DOWNSCALE_STABILIZATION, null, null);
  }

  public AutoscalerConfig withSyncPeriod(Duration syncPeriod) {
    return new AutoscalerConfig(syncPeriod, downscaleStabilization, kubeletClientCert, kubeletClientKey);
  }

  public AutoscalerConfig withDownscaleStabilization(Duration downscaleStabilization) {
    return new AutoscalerConfig(syncPeriod, downscaleStabilization, kubeletClientCert, kubeletClientKey);
  }

  /** Reads resource metrics from node agents with this client certificate and key. */
  public AutoscalerConfig withKubeletClient(Path cert, Path key) {
    return new AutoscalerConfig(syncPeriod, downscaleStabilization, cert, key);
  }
}
