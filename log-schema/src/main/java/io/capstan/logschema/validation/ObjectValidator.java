package io.capstan.logschema.validation;

import io.capstan.logschema.kinds.Kind;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;

/**
 * Per-kind validation of an object as Kubernetes' API validation does it: names, labels,
 * required fields, quantities, ports. Returns every problem found, with field paths.
 * (Skeleton: the schema-driven rules are completed in the log-schema work.)
 */
public final class ObjectValidator {
  private ObjectValidator() {}

  public static List<FieldError> validate(Kind kind, IndexedRecord object) {
    return new ArrayList<>();
  }
}
