package io.capstan.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --data-dir} flag: where a process keeps everything that survives a restart. */
final class DataDirOptions {
  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = Defaults.DATA_DIR,
      description = "Where this process keeps its data: kafka/ (the embedded broker's log), state-views/"
          + " (the command processor's stores), logs/ (default: ${DEFAULT-VALUE} under the current directory).")
  Path dataDir;

  Path resolve() {
    Path dir = dataDir.toAbsolutePath().normalize();
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--data-dir: " + dir + " exists and is not a directory");
    }
    return dir;
  }
}
