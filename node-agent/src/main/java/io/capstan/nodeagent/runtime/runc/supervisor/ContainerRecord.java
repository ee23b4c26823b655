package io.capstan.nodeagent.runtime.runc.supervisor;

import java.time.Instant;

/**
 * What the supervisor knows of one container: on the wire to the agent and, as JSON, in the
 * container's directory ({@value #STATE_FILE} while it lives, {@value #EXIT_FILE} once it exited).
 *
 * @param id         the runc container id
 * @param bundle     the OCI bundle directory (also where the FIFOs and these files live)
 * @param logPath    the CRI log file its stdout/stderr go to
 * @param oomControl the cgroup v1 {@code memory.oom_control} file telling whether it was OOM-killed
 * @param pid        its init's pid on the host (0 before {@code runc create} returned)
 * @param state      {@code CREATED}, {@code RUNNING} or {@code EXITED}
 * @param createdAt  when created
 * @param startedAt  when started; null before
 * @param finishedAt when it exited; null before
 * @param exitCode   the exit code once exited (128 + signal for a signal)
 * @param reason     {@code Completed}, {@code Error}, {@code OOMKilled} or {@code ContainerStatusUnknown}
 * @param message    more words about the exit; may be null
 */
public record ContainerRecord(String id, String bundle, String logPath, String oomControl, int pid, String state,
    Instant createdAt, Instant startedAt, Instant finishedAt, int exitCode, String reason, String message) {
  public static final String STATE_FILE = "supervised.json";
  public static final String EXIT_FILE = "exit";
  public static final String CREATED = "CREATED";
  public static final String RUNNING = "RUNNING";
  public static final String EXITED = "EXITED";
  /**
   * kubelet's reason for a container whose end nobody saw (it reports exit code 137 with it):
   * here, a container whose supervisor was gone when it ended.
   */
  public static final String STATUS_UNKNOWN = "ContainerStatusUnknown";
  public static final int UNKNOWN_EXIT_CODE = 137;

  public boolean exited() {
    return EXITED.equals(state);
  }

  ContainerRecord withPid(int p) {
    return new ContainerRecord(id, bundle, logPath, oomControl, p, state, createdAt, startedAt, finishedAt, exitCode,
        reason, message);
  }

  ContainerRecord running(Instant at) {
    return new ContainerRecord(id, bundle, logPath, oomControl, pid, RUNNING, createdAt, at, finishedAt, exitCode,
        reason, message);
  }

  ContainerRecord exited(Instant at, int code, String why, String more) {
    return new ContainerRecord(id, bundle, logPath, oomControl, pid, EXITED, createdAt,
        startedAt == null ? at : startedAt, at, code, why, more);
  }
}
