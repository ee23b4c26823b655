package io.capstan.ops;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder until the benchmarks land; the lead replaces this file. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks, e.g. 'bench write' (not yet built).")
public final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.println("not yet built");
    return 2;
  }
}
