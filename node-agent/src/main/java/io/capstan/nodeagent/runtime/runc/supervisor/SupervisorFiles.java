package io.capstan.nodeagent.runtime.runc.supervisor;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a supervisor of one runtime state dir keeps its files: the socket the agent finds it
 * through, its pid and its log, and the containers' directories it records exits in.
 *
 * @param stateDir the runtime's root ({@code <data dir>/runtime})
 */
public record SupervisorFiles(Path stateDir) {
  /** sun_path holds 108 bytes; a longer socket path goes under /run (named after the state dir). */
  static final int MAX_SOCKET_PATH = 100;

  public SupervisorFiles {
    stateDir = stateDir.toAbsolutePath().normalize();
  }

  public Path socket() {
    Path p = stateDir.resolve("supervisor.sock");
    if (p.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH) {
      return p;
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(stateDir.toString().getBytes(StandardCharsets.UTF_8));
      return Path.of("/run/capstan", "supervisor-" + HexFormat.of().formatHex(h, 0, 8) + ".sock");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path pidFile() {
    return stateDir.resolve("supervisor.pid");
  }

  public Path log() {
    return stateDir.resolve("supervisor.log");
  }

  public Path containers() {
    return stateDir.resolve("containers");
  }

  /** runc's {@code --root}. */
  public Path runcRoot() {
    return stateDir.resolve("runc-state");
  }
}
