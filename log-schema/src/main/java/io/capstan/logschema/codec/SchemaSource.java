package io.capstan.logschema.codec;

import org.apache.avro.Schema;

/**
 * Where {@link LogCodec} looks for a writer schema it does not know (a custom kind's schema from
 * before its definition changed, written by another process). Asked only on a miss, never on the
 * decode hot path of a known fingerprint.
 */
public interface SchemaSource {
  /**
   * The schema with this fingerprint, or null when this source does not have it. May block for a
   * bounded time (to read what was written meanwhile); never forever.
   */
  Schema find(long fingerprint);

  /** What this source is, for the error message of a fingerprint no source knows. */
  String describe();
}
