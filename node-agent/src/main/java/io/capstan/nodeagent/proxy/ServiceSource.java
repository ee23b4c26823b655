package io.capstan.nodeagent.proxy;

import java.time.Instant;
import java.util.List;

/**
 * What the proxy reads: every service port with its ready endpoints, and a signal when they
 * change. {@link EndpointsSource} reads Services and Endpoints; an EndpointSlice source only has to
 * implement these two methods.
 */
public interface ServiceSource {
  /** The service ports to program now, each with its ready (serving) endpoints. */
  List<ProxiedPort> ports();

  /**
   * The services {@link #ports()} left out because their ports cannot be programmed (a port,
   * protocol or address the proxy cannot express), as of the last {@link #ports()}: service key →
   * why. The proxy keeps such a service's previous rules and reports it; the others sync as usual.
   */
  default java.util.Map<String, String> unprogrammable() {
    return java.util.Map.of();
  }

  /** Whether the first full read is done (syncing earlier would remove rules that still apply). */
  boolean hasSynced();

  /** Registers the one listener told of each change. */
  void onChange(ChangeListener listener);

  interface ChangeListener {
    /**
     * @param serviceKey {@code namespace/name} of the service whose ports or endpoints changed
     * @param triggerTime when the change happened in the cluster (for network programming latency)
     */
    void changed(String serviceKey, Instant triggerTime);
  }
}
