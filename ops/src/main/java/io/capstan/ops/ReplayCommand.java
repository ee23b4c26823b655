package io.capstan.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the replay command lands; the lead replaces this file. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Folds capstan.events into state and compares it with the live state tables (not yet built).")
public final class ReplayCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.println("not yet built");
    return 2;
  }
}
