package io.capstan.stateviews.processor.rules;

import io.capstan.api.ServiceAccount;
import java.util.Optional;

/** Finds the ServiceAccount a pod names, for the ServiceAccount admission ({@link ServiceAccountAdmission}). */
@FunctionalInterface
public interface ServiceAccountLookup {
  Optional<ServiceAccount> find(String namespace, String name);
}
