package io.capstan.nodeagent.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * What a container needs, resolved by the sync loop from the pod spec and the image (CRI
 * ContainerConfig): the runtimes do not read pod specs.
 *
 * @param name           the container's name in the pod
 * @param attempt        its restart count (CRI metadata.attempt), part of the log file name
 * @param image          the image it runs
 * @param args           the process: entrypoint and arguments, already combined as Kubernetes does
 * @param env            the environment, {@code NAME=value}, image env first
 * @param workingDir     the working directory; empty for the image's
 * @param mounts         bind mounts (volumes)
 * @param resources      cgroup limits
 * @param security       user, capabilities, read-only root
 * @param logPath        the CRI log file of this attempt
 * @param pidNamespaceOf the runtime id of a container whose process namespace this one joins (CRI
 *                       NamespaceMode TARGET, an ephemeral container's targetContainerName); null
 *                       for a namespace of its own
 * @param stdin          the process keeps a stdin to attach to (the pod's {@code stdin: true}); else
 *                       its stdin is empty
 */
public record ContainerConfig(String name, int attempt, ImageInfo image, List<String> args, List<String> env,
    String workingDir, List<Mount> mounts, Resources resources, Security security, Path logPath,
    String pidNamespaceOf, boolean stdin) {
  /** Without a stdin to attach to. */
  public ContainerConfig(String name, int attempt, ImageInfo image, List<String> args, List<String> env,
      String workingDir, List<Mount> mounts, Resources resources, Security security, Path logPath,
      String pidNamespaceOf) {
    this(name, attempt, image, args, env, workingDir, mounts, resources, security, logPath, pidNamespaceOf, false);
  }

  /** A container with a process namespace of its own. */
  public ContainerConfig(String name, int attempt, ImageInfo image, List<String> args, List<String> env,
      String workingDir, List<Mount> mounts, Resources resources, Security security, Path logPath) {
    this(name, attempt, image, args, env, workingDir, mounts, resources, security, logPath, null, false);
  }

  public ContainerConfig {
    if (args == null || args.isEmpty()) {
      throw new IllegalArgumentException("container " + name + ": no command to run (neither the pod's command/args"
          + " nor the image's entrypoint/cmd give one)");
    }
    args = List.copyOf(args);
    env = List.copyOf(env);
    mounts = List.copyOf(mounts);
    workingDir = workingDir == null ? "" : workingDir;
  }

  /**
   * A bind mount.
   *
   * @param hostPath      what is mounted
   * @param containerPath where
   * @param readOnly      mounted read-only
   */
  public record Mount(Path hostPath, String containerPath, boolean readOnly) {}

  /**
   * cgroup settings derived from requests and limits, as kubelet does.
   *
   * @param cpuShares        cpu.shares (from the cpu request; 2 when none, as for BestEffort)
   * @param cpuQuotaMicros   cfs quota per period (from the cpu limit); 0 for none
   * @param cpuPeriodMicros  cfs period (100 ms)
   * @param memoryLimitBytes memory limit; 0 for none
   * @param pidsLimit        pids limit; 0 for none
   */
  public record Resources(long cpuShares, long cpuQuotaMicros, long cpuPeriodMicros, long memoryLimitBytes, long pidsLimit) {
    public static final long CFS_PERIOD_MICROS = 100_000;
    public static final long MIN_SHARES = 2;

    public static Resources none() {
      return new Resources(MIN_SHARES, 0, CFS_PERIOD_MICROS, 0, 0);
    }
  }

  /**
   * The container's security settings.
   *
   * @param uid                    the user id to run as (0 = root)
   * @param gid                    the group id
   * @param readOnlyRootFilesystem mount the root read-only
   * @param addCapabilities        capabilities to add to the default set, e.g. {@code NET_ADMIN}
   * @param dropCapabilities       capabilities to drop ({@code ALL} drops every one)
   * @param privileged             all capabilities, as Kubernetes' privileged
   */
  public record Security(long uid, long gid, boolean readOnlyRootFilesystem, List<String> addCapabilities,
      List<String> dropCapabilities, boolean privileged) {
    public Security {
      addCapabilities = List.copyOf(addCapabilities);
      dropCapabilities = List.copyOf(dropCapabilities);
    }

    public static Security defaults() {
      return new Security(0, 0, false, List.of(), List.of(), false);
    }
  }
}
