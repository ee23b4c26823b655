package io.capstan.ops;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The flags that pass Kafka client settings (TLS, SASL, …) through to every client of a component. */
final class KafkaClientOptions {
  @Option(names = "--kafka-config", paramLabel = "KEY=VALUE",
      description = "A Kafka client setting for every client of this process, e.g. security.protocol=SSL"
          + " (repeatable; overrides --kafka-config-file).")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(names = "--kafka-config-file", paramLabel = "FILE",
      description = "A Kafka client properties file (as for kafka-console-producer --command-config).")
  Path file;

  /** The file's settings overlaid by the flags; a missing or unreadable file is an IllegalArgumentException. */
  Map<String, String> resolve() {
    Map<String, String> all = new LinkedHashMap<>();
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("--kafka-config-file: " + file + " is not a file");
      }
      Properties p = new Properties();
      try (Reader in = Files.newBufferedReader(file)) {
        p.load(in);
      } catch (IOException | IllegalArgumentException e) {
        throw new IllegalArgumentException("--kafka-config-file: cannot read " + file + ": " + e.getMessage(), e);
      }
      p.stringPropertyNames().forEach(k -> all.put(k, p.getProperty(k)));
    }
    all.putAll(settings);
    return all;
  }
}
