package io.capstan.nodeagent.runtime;

import java.time.Instant;

/**
 * A container's state as the runtime knows it (CRI ContainerStatus).
 *
 * @param id         the runtime's id
 * @param sandboxId  its sandbox
 * @param name       the container's name in the pod
 * @param attempt    the restart count it was created with
 * @param imageRef   the image's digest id
 * @param state      created, running, exited or unknown
 * @param createdAt  when created
 * @param startedAt  when started; null before
 * @param finishedAt when it exited; null before
 * @param exitCode   the exit code once exited (128 + signal for a signal, as a shell reports it)
 * @param reason     why it exited: {@code Completed}, {@code Error}, {@code OOMKilled}; null before
 * @param message    more words about the exit; may be null
 * @param logPath    its CRI log file
 */
public record ContainerInfo(String id, String sandboxId, String name, int attempt, String imageRef, State state,
    Instant createdAt, Instant startedAt, Instant finishedAt, int exitCode, String reason, String message,
    java.nio.file.Path logPath) {

  /** CRI's ContainerState. */
  public enum State { CREATED, RUNNING, EXITED, UNKNOWN }

  public boolean exited() {
    return state == State.EXITED;
  }
}
