package io.capstan.nodeagent.streaming;

import java.util.List;
import java.util.function.Function;

/**
 * Which of a command's streams a client asked for and its command, from the query as kubelet
 * reads it ({@code stdin}, {@code stdout}, {@code stderr}, {@code tty} as {@code 1} or
 * {@code true}; {@code command} repeated). With a terminal there is no separate stderr (kubelet
 * drops it); at least one stream must be asked for.
 */
public record StreamOptions(boolean stdin, boolean stdout, boolean stderr, boolean tty, List<String> command) {

  /**
   * @param param  a query parameter's first value, or null
   * @param params all values of a query parameter
   * @throws IllegalArgumentException in kubelet's words when no stream is asked for
   */
  public static StreamOptions parse(Function<String, String> param, Function<String, List<String>> params) {
    boolean tty = flag(param.apply("tty"));
    boolean stdin = flag(param.apply("stdin"));
    boolean stdout = flag(param.apply("stdout"));
    boolean stderr = flag(param.apply("stderr")) && !tty;
    if (!stdin && !stdout && !stderr) {
      throw new IllegalArgumentException("you must specify at least 1 of stdin, stdout, stderr");
    }
    List<String> command = params.apply("command");
    return new StreamOptions(stdin, stdout, stderr, tty, command == null ? List.of() : List.copyOf(command));
  }

  static boolean flag(String v) {
    return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
  }
}
