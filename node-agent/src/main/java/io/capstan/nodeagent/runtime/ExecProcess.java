package io.capstan.nodeagent.runtime;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A command started in a running container with its standard streams attached (the streaming
 * side of CRI Exec, what {@code kubectl exec} talks to). With a terminal, stdout carries what the
 * terminal shows and there is no separate stderr.
 */
public interface ExecProcess extends AutoCloseable {
  /** The command's standard input; closing it is the end of input the command reads. */
  OutputStream stdin();

  InputStream stdout();

  /** Its standard error, or null with a terminal (the terminal carries both). */
  InputStream stderr();

  /** Resizes the terminal (columns, rows); nothing without a terminal. */
  void resize(int width, int height);

  /** Waits for the command to end; its exit code. */
  int waitFor() throws InterruptedException;

  /** Kills the command if it still runs and frees what it holds. */
  @Override
  void close();
}
