package io.capstan.stateviews.kafka;

import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.codec.SchemaLog;
import io.capstan.logschema.topics.TopicLayout;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches a long-lived reader of the schemas topic to the process-wide codec: what a component
 * that reads the log for as long as it runs (the processor, informers, the gateway's cache) does
 * at start, so a custom object written under a schema this process never registered (before its
 * definition changed, or before a restart) decodes.
 */
public final class SchemaLogs {
  private static final Logger log = LoggerFactory.getLogger(SchemaLogs.class);

  private SchemaLogs() {}

  /**
   * Opens the layout's schemas topic (read to its end now) and attaches it to {@link LogCodec#get()};
   * null, with a warning, when it cannot be read (the codec then knows only what this process
   * registered, and says so when a fingerprint is unknown).
   */
  public static SchemaLog attach(Map<String, Object> kafka, TopicLayout layout) {
    try {
      SchemaLog schemas = SchemaLog.open(kafka, layout);
      LogCodec.get().addSource(schemas);
      return schemas;
    } catch (RuntimeException e) {
      log.warn("the schemas topic {} cannot be read; custom objects of schemas this process never registered will"
          + " not decode: {}", layout.schemas(), e.toString());
      return null;
    }
  }

  /**
   * Runs {@code body} with the layout's schemas topic attached to {@code codec}, for a reader that
   * reads the log once (replay, an audit query): writer schemas the codec does not know are found
   * there.
   */
  public static <T> T with(Map<String, Object> kafka, TopicLayout layout, LogCodec codec, Supplier<T> body) {
    try (SchemaLog schemas = SchemaLog.open(kafka, layout)) {
      codec.addSource(schemas);
      try {
        return body.get();
      } finally {
        codec.removeSource(schemas);
      }
    }
  }

  /** Detaches and closes what {@link #attach} gave (null is fine). */
  public static void detach(SchemaLog schemas) {
    if (schemas != null) {
      LogCodec.get().removeSource(schemas);
      schemas.close();
    }
  }
}
