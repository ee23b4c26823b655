package io.capstan.gateway.security;

import io.capstan.logschema.kinds.Kind;
import org.apache.avro.generic.IndexedRecord;

/**
 * A check of an object about to be written (create, update, patch), after it is defaulted and
 * validated and before it goes to the store, with the user who writes it: where checks that
 * depend on the writer live, such as RBAC's escalation prevention. Refuses by throwing an
 * {@link io.capstan.gateway.errors.ApiException}.
 */
@FunctionalInterface
public interface WriteAdmission {
  void admit(UserInfo user, Kind kind, IndexedRecord object);

  WriteAdmission NONE = (user, kind, object) -> { };
}
