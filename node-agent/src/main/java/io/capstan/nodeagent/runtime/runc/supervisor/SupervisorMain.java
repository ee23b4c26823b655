package io.capstan.nodeagent.runtime.runc.supervisor;

import com.sun.jna.LastErrorException;
import io.capstan.nodeagent.runtime.runc.LibC;
import io.capstan.nodeagent.runtime.runc.RuncRuntime;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The supervisor process: {@code java … SupervisorMain --state-dir DIR [--runc PATH]}, started
 * detached by the agent ({@link SupervisorClient#connectOrStart}); {@code capstan
 * runtime-supervisor} runs the same. Exit status 0 once it had nothing left to supervise, 2 for
 * bad arguments, 1 when it could not start (e.g. another one serves the state dir).
 */
public final class SupervisorMain {
  private SupervisorMain() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args));
  }

  public static int run(String[] args) throws Exception {
    Path stateDir = null;
    String runc = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--state-dir" -> stateDir = Path.of(value(args, ++i, "--state-dir"));
        case "--runc" -> runc = value(args, ++i, "--runc");
        default -> {
          System.err.println("runtime-supervisor: unknown argument \"" + args[i] + "\"; usage: --state-dir DIR [--runc PATH]");
          return 2;
        }
      }
    }
    if (stateDir == null) {
      System.err.println("runtime-supervisor: --state-dir DIR is required (the node agent's runtime directory)");
      return 2;
    }
    if (runc == null) {
      runc = RuncRuntime.findRunc().orElse(null);
      if (runc == null) {
        System.err.println("runtime-supervisor: runc is not installed: apt-get install -y " + RuncRuntime.PACKAGE);
        return 1;
      }
    }
    try {
      LibC.INSTANCE.setsid(); // its own session: the agent's terminal and process group signals are not its own
    } catch (LastErrorException e) {
      // already a session leader (started through setsid(1))
    }
    RuntimeSupervisor supervisor = new RuntimeSupervisor(new SupervisorFiles(stateDir), runc, Clock.systemUTC());
    try {
      supervisor.start();
    } catch (IllegalStateException e) {
      System.err.println("runtime-supervisor: " + e.getMessage());
      return 1;
    }
    supervisor.awaitExit();
    return 0;
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }
}
