package io.capstan.stateviews.processor.rules;

import io.capstan.api.LimitRange;
import java.util.List;

/** The LimitRanges of a namespace, which the LimitRanger admission ({@link LimitRangeAdmission}) applies (its lister). */
@FunctionalInterface
public interface LimitRangeLookup {
  /** The namespace's LimitRanges, in name order; empty when it has none. */
  List<LimitRange> inNamespace(String namespace);

  /** No LimitRanges anywhere: the admission admits everything unchanged. */
  LimitRangeLookup NONE = namespace -> List.of();
}
