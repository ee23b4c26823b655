package io.capstan.nodeagent.runtime.runc;

import io.capstan.nodeagent.runtime.ExecProcess;
import io.capstan.nodeagent.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code runc exec} of a command in a running container, its streams attached: pipes, or with a
 * terminal a {@link Pty} whose slave is runc's stdin, stdout and stderr (runc then gives the
 * command a terminal of the container's own and relays between the two; a resize is the slave's
 * new size and a {@code SIGWINCH} to runc). runc exits with the command's exit code, so its exit
 * code is the command's.
 */
final class RuncExec implements ExecProcess {
  private static final int SIGWINCH = 28;

  private final Process process;
  private final Pty pty;

  private RuncExec(Process process, Pty pty) {
    this.process = process;
    this.pty = pty;
  }

  static RuncExec start(RuncCli cli, String containerId, List<String> command, boolean tty, int width, int height) {
    if (command.isEmpty()) {
      throw new IllegalArgumentException("no command to run in container " + containerId);
    }
    List<String> args = new ArrayList<>(List.of("exec"));
    if (tty) {
      args.add("-t");
    }
    args.add(containerId);
    args.addAll(command);
    Pty pty = null;
    try {
      ProcessBuilder pb;
      if (tty) {
        pty = Pty.open();
        pty.resize(width, height);
        // The child opens the slave, not this process: a session leader without a terminal (an
        // agent started by systemd) opening one would make it its controlling terminal, and the
        // terminal's hang-up at the end would then be sent to the agent.
        List<String> wrapped = new ArrayList<>(
            List.of("/bin/sh", "-c", "exec \"$@\" <>\"$CAPSTAN_PTY\" >&0 2>&0", "sh"));
        wrapped.addAll(cli.command(args));
        pb = new ProcessBuilder(wrapped);
        pb.environment().put("CAPSTAN_PTY", pty.slavePath());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
      } else {
        pb = new ProcessBuilder(cli.command(args));
      }
      return new RuncExec(pb.start(), pty);
    } catch (IOException | RuntimeException e) {
      if (pty != null) {
        pty.close();
      }
      throw new RuntimeFailure("RunContainerError", "cannot start runc exec in " + containerId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public OutputStream stdin() {
    return pty != null ? pty.input() : process.getOutputStream();
  }

  @Override
  public InputStream stdout() {
    return pty != null ? pty.output() : process.getInputStream();
  }

  @Override
  public InputStream stderr() {
    return pty != null ? null : process.getErrorStream();
  }

  @Override
  public void resize(int width, int height) {
    if (pty != null && process.isAlive()) {
      pty.resize(width, height);
      try {
        LibC.INSTANCE.kill((int) process.pid(), SIGWINCH);
      } catch (com.sun.jna.LastErrorException ignored) {
        // runc has just exited
      }
    }
  }

  @Override
  public int waitFor() throws InterruptedException {
    return process.waitFor();
  }

  /**
   * SIGTERM first, which runc passes on to the command (a SIGKILL would leave the command running
   * in the container without runc); SIGKILL if it is still there after a moment.
   */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      Thread t = new Thread(() -> {
        try {
          if (!process.waitFor(2, TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
        } catch (InterruptedException ignored) {
          process.destroyForcibly();
        } finally {
          closePty();
        }
      }, "capstan-exec-stop");
      t.setDaemon(true);
      t.start();
    } else {
      closePty();
    }
  }

  private void closePty() {
    if (pty != null) {
      pty.close();
    }
  }
}
