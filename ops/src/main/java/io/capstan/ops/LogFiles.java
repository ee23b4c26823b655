package io.capstan.ops;

import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * Adds the rolling log file under a data dir once the command knows where that is: log4j2.xml
 * only configures the file appender when {@value #LOG_DIR_PROPERTY} is set.
 */
final class LogFiles {
  static final String LOG_DIR_PROPERTY = "capstan.log.dir";

  private LogFiles() {}

  static void writeTo(Path dir) {
    System.setProperty(LOG_DIR_PROPERTY, dir.toAbsolutePath().toString());
    if (LogManager.getContext(false) instanceof LoggerContext context) {
      context.reconfigure();
    }
  }

  /** Flushes and closes every appender; the config disables log4j's own shutdown hook for this. */
  static void flush() {
    LogManager.shutdown();
  }
}
