package io.capstan.ops;

import io.capstan.controllers.hpa.AutoscalerConfig;
import io.capstan.controllers.nodelifecycle.NodeLifecycleConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The horizontal pod autoscaler's flags, kube-controller-manager's names and defaults. */
final class AutoscalerOptions {
  /** The client certificate the controllers present to node agents, issued by the cluster CA in {@code up}. */
  static final String KUBELET_CLIENT_BASE_NAME = "controller-manager-kubelet-client";

  @Option(names = "--horizontal-pod-autoscaler-sync-period", paramLabel = "DURATION", defaultValue = "15s",
      description = "How often each HorizontalPodAutoscaler is evaluated (default: ${DEFAULT-VALUE}).")
  String syncPeriod;

  @Option(names = "--horizontal-pod-autoscaler-downscale-stabilization", paramLabel = "DURATION", defaultValue = "5m",
      description = "How far back an autoscaler without behavior looks for a higher recommendation before it scales"
          + " down (default: ${DEFAULT-VALUE}).")
  String downscaleStabilization;

  /**
   * The flags as a config, the node agents read with {@code kubeletClient} (null: none).
   *
   * @throws IllegalArgumentException naming the flag whose value is not a duration
   */
  AutoscalerConfig resolve(Path kubeletClientCert, Path kubeletClientKey) {
    return AutoscalerConfig.defaults().withSyncPeriod(duration("--horizontal-pod-autoscaler-sync-period", syncPeriod))
        .withDownscaleStabilization(duration("--horizontal-pod-autoscaler-downscale-stabilization",
            downscaleStabilization))
        .withKubeletClient(kubeletClientCert, kubeletClientKey);
  }

  /** As {@link #resolve}, with a client certificate of the controller manager's identity issued by the CA in {@code pkiDir}. */
  AutoscalerConfig resolveIssuing(Path pkiDir) throws IOException {
    var cert = io.capstan.gateway.security.CertificateAuthority.ensureClient(pkiDir, KUBELET_CLIENT_BASE_NAME,
        io.capstan.controllers.manager.ControllerManager.IDENTITY, List.of());
    return resolve(cert.cert(), cert.key());
  }

  private static java.time.Duration duration(String flag, String value) {
    try {
      return NodeLifecycleConfig.parseDuration(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }
}
