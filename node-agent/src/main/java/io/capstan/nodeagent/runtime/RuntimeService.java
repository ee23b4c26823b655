package io.capstan.nodeagent.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * CRI's RuntimeService: pod sandboxes (what a pod's containers share) and containers. Calls
 * block until done; the pod sync loop calls them from its worker threads, never from an event
 * loop. Failures are {@link RuntimeFailure}s naming the Kubernetes reason a user would see.
 */
public interface RuntimeService extends AutoCloseable {

  /** The runtime's name and version, as {@code nodeInfo.containerRuntimeVersion} shows it (e.g. {@code runc://1.1.5}). */
  String version();

  /** Creates the pod's sandbox and returns its id (CRI RunPodSandbox). */
  String runPodSandbox(SandboxConfig config);

  /** The sandbox's address on the pod network (CRI PodSandboxStatus network.ip); empty on the host's network. */
  default Optional<String> podSandboxIp(String sandboxId) {
    return Optional.empty();
  }

  /** Why pods cannot get a network of their own here (and use the host's), or empty when they can. */
  default Optional<String> podNetworkProblem() {
    return Optional.empty();
  }

  /** Stops whatever still runs in the sandbox (CRI StopPodSandbox); idempotent. */
  void stopPodSandbox(String sandboxId);

  /** Removes the sandbox and its volumes (CRI RemovePodSandbox); idempotent. */
  void removePodSandbox(String sandboxId);

  /** Creates a container in a sandbox and returns its id (CRI CreateContainer). */
  String createContainer(String sandboxId, ContainerConfig config);

  /** Starts a created container (CRI StartContainer). */
  void startContainer(String containerId);

  /**
   * Stops a container as kubelet does: SIGTERM, then SIGKILL once {@code gracePeriod} has passed
   * (CRI StopContainer with its timeout). Returns when it has exited; idempotent.
   */
  void stopContainer(String containerId, Duration gracePeriod);

  /** Removes an exited container and what it held (CRI RemoveContainer); idempotent. */
  void removeContainer(String containerId);

  /** The container's state, or empty when the runtime does not know it. */
  Optional<ContainerInfo> containerStatus(String containerId);

  /** Every container this runtime knows, in any state. */
  List<ContainerInfo> listContainers();

  /**
   * Runs a command in a running container and waits for it (CRI ExecSync), for exec probes and
   * exec hooks. A command still running after {@code timeout} is killed and reported as timed out.
   */
  ExecResult execSync(String containerId, List<String> command, Duration timeout);

  /**
   * Starts a command in a running container with its standard streams (the streaming side of CRI
   * Exec), with a terminal of {@code width} x {@code height} when {@code tty}.
   *
   * @throws RuntimeFailure when the container is not running or the runtime cannot exec
   */
  default ExecProcess exec(String containerId, List<String> command, boolean tty, int width, int height) {
    throw new RuntimeFailure("ExecNotSupported", "this node's runtime (" + version() + ") cannot run commands in"
        + " containers");
  }

  /**
   * The standard input of the container's own process, to write to (CRI Attach's stdin), for a
   * container started with one ({@link ContainerConfig#stdin()}). With {@code once}, closing it
   * ends the container's input for good (the pod's {@code stdinOnce}).
   *
   * @throws RuntimeFailure when the container has no stdin or is not running
   */
  default java.io.OutputStream attachStdin(String containerId, boolean once) {
    throw new RuntimeFailure("AttachNotSupported", "this node's runtime (" + version() + ") cannot attach to"
        + " containers");
  }

  /**
   * The network namespace file of the sandbox, where a port-forward connects; empty when the pod
   * is on the host's network (or the runtime has no namespaces).
   */
  default Optional<java.nio.file.Path> podNetworkNamespace(String sandboxId) {
    return Optional.empty();
  }

  /**
   * The running containers' CPU and memory, read from their cgroups now (CRI ListContainerStats):
   * only when asked, so an idle node reads nothing. Empty where the runtime cannot tell.
   */
  default List<ContainerStats> listContainerStats() {
    return List.of();
  }

  /** The sandbox's (the pod's cgroup's) CPU and memory now (CRI PodSandboxStats); empty when not known. */
  default Optional<ResourceUsage> podSandboxStats(String sandboxId) {
    return Optional.empty();
  }

  /** Waits up to {@code timeout} for the container to exit; true when it has. */
  boolean awaitExit(String containerId, Duration timeout) throws InterruptedException;

  @Override
  void close();
}
