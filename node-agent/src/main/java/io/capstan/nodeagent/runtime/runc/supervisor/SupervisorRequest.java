package io.capstan.nodeagent.runtime.runc.supervisor;

/**
 * One request to the supervisor: a JSON line on a fresh connection, answered by one
 * {@link SupervisorReply} line (or, for {@link Op#WATCH}, a stream of {@link SupervisorEvent}s).
 *
 * @param op         what to do
 * @param id         the container (all but PING, LIST and WATCH)
 * @param bundle     CREATE: the OCI bundle directory
 * @param logPath    CREATE: the CRI log file
 * @param oomControl CREATE: the cgroup file that counts OOM kills (may be null)
 * @param signal     KILL: the signal number
 * @param stdin      CREATE: the container's stdin is a FIFO ({@code <bundle>/stdin}) kept open until
 *                   {@link Op#CLOSE_STDIN}, for attaching to it (a pod's {@code stdin: true}); else
 *                   {@code /dev/null}
 */
public record SupervisorRequest(Op op, String id, String bundle, String logPath, String oomControl, int signal,
    boolean stdin) {
  /** The supervisor's control API. */
  public enum Op {
    /** Is it there? Answers with no container. */
    PING,
    /** {@code runc create} with the stdout/stderr FIFOs read into the log; the container's init becomes its child. */
    CREATE,
    /** {@code runc start}. */
    START,
    /** Sends a signal to the container's init. */
    KILL,
    /** Every container it supervises: id, pid, state, exit code, created/started/finished times. */
    LIST,
    /** Kills (if needed) and deletes the container and forgets it, with its state files. */
    DELETE,
    /** Every container it knows (one {@link SupervisorEvent} each), then {@code SYNCED}, then each change. */
    WATCH,
    /** Lets go of the container's stdin FIFO: once attached writers are gone too, the container reads its end (stdinOnce). */
    CLOSE_STDIN
  }

  static SupervisorRequest of(Op op, String id) {
    return new SupervisorRequest(op, id, null, null, null, 0, false);
  }
}
