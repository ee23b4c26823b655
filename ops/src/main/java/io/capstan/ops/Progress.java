package io.capstan.ops;

import java.io.PrintWriter;

/**
 * The user-facing lines on stdout ({@code kafka ready: …}, {@code capstan ready: …}, progress),
 * flushed one by one so scripts and tests can wait for them. Logs go to stderr, not here.
 */
final class Progress {
  private final PrintWriter out;

  Progress(PrintWriter out) {
    this.out = out;
  }

  synchronized void line(String text) {
    out.println(text);
    out.flush();
  }
}
