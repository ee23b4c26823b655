package io.capstan.scheduler.framework;

import io.capstan.api.Container;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceRequirements;
import java.util.List;
import java.util.Map;

/**
 * What a pod asks of a node, as resourcehelper.PodRequests computes it: the app containers run
 * together (their requests add up); each regular init container runs alone next to the sidecars
 * started before it (restartPolicy Always init containers, KEP-753), which then keep running with
 * the app containers; the pod needs the larger of the two phases, plus its runtime overhead.
 */
public final class PodRequests {
  /** schedutil.DefaultMilliCPURequest: what scoring assumes for a container that requests no cpu. */
  public static final long DEFAULT_MILLI_CPU_REQUEST = 100;
  /** schedutil.DefaultMemoryRequest: 200 MiB for a container that requests no memory (scoring only). */
  public static final long DEFAULT_MEMORY_REQUEST = 200L * 1024 * 1024;

  private PodRequests() {}

  /** The requests the fit check uses. */
  public static Resources of(PodSpec spec) {
    return compute(spec, false);
  }

  /** The requests scoring uses: a container without a cpu or memory request counts as the defaults above. */
  public static Resources nonZero(PodSpec spec) {
    return compute(spec, true);
  }

  private static Resources compute(PodSpec spec, boolean nonMissing) {
    Resources reqs = new Resources();
    if (spec == null) {
      return reqs;
    }
    for (Container c : spec.getContainers()) {
      reqs.add(container(c, nonMissing));
    }
    Resources sidecars = new Resources();
    Resources initPhase = new Resources();
    List<Container> inits = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
    for (Container c : inits) {
      Resources r = container(c, nonMissing);
      if ("Always".equals(c.getRestartPolicy())) {
        // A sidecar keeps running: it adds to the app phase and to every later init container's phase.
        reqs.add(r);
        sidecars.add(r);
        initPhase.max(sidecars);
      } else {
        Resources phase = r.copy();
        phase.add(sidecars);
        initPhase.max(phase);
      }
    }
    reqs.max(initPhase);
    if (spec.getOverhead() != null) {
      reqs.add(Resources.of(spec.getOverhead()));
    }
    return reqs;
  }

  /**
   * One container's requests. A resource with a limit and no request requests its limit, as the
   * API server's defaulting does; {@code nonMissing} fills cpu and memory for scoring.
   */
  static Resources container(Container c, boolean nonMissing) {
    ResourceRequirements rr = c.getResources();
    Map<String, String> requests = rr == null ? null : rr.getRequests();
    Map<String, String> limits = rr == null ? null : rr.getLimits();
    Resources r = Resources.of(requests);
    if (limits != null) {
      for (Map.Entry<String, String> e : limits.entrySet()) {
        if (requests == null || !requests.containsKey(e.getKey())) {
          r.set(e.getKey(), Resources.parse(e.getKey(), e.getValue()));
        }
      }
    }
    if (nonMissing) {
      if (!has(requests, limits, Resources.CPU)) {
        r.milliCpu = DEFAULT_MILLI_CPU_REQUEST;
      }
      if (!has(requests, limits, Resources.MEMORY)) {
        r.memory = DEFAULT_MEMORY_REQUEST;
      }
    }
    return r;
  }

  private static boolean has(Map<String, String> requests, Map<String, String> limits, String name) {
    return (requests != null && requests.containsKey(name)) || (limits != null && limits.containsKey(name));
  }
}
