package io.capstan.stateviews.processor;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.CustomResourceDefinitionNames;
import io.capstan.api.CustomResourceDefinitionStatus;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.processor.rules.DefinitionRules;
import io.capstan.stateviews.processor.rules.ObjectFields;
import io.capstan.stateviews.processor.rules.StatusErrors;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the single writer does with a valid CustomResourceDefinition it is about to store, as
 * kube-apiserver's naming and establishing controllers do, in one step: the names are checked
 * against every kind served ({@code NamesAccepted}), the kind's state topic is made, and only then
 * is the definition {@code Established}. After the write, the kind enters this process's registry
 * at once; other processes register it when they read the definition (see {@link CustomKindMirror}).
 */
final class DefinitionEstablisher {
  private static final Logger log = LoggerFactory.getLogger(DefinitionEstablisher.class);
  private final KindTopics topics;

  DefinitionEstablisher(KindTopics topics) {
    this.topics = topics;
  }

  /**
   * Sets the definition's status conditions, accepted names and stored versions (in place). Null
   * when it can be written; an error when its topic could not be made (nothing is written then).
   */
  ErrorStatus establish(CustomResourceDefinition crd, boolean dryRun, Instant now) {
    if (crd.getMetadata().getDeletionTimestamp() != null) {
      return null; // on its way out: no longer established anew
    }
    Kind kind = CustomResourceDefinitions.kindOf(crd);
    CustomResourceDefinitionStatus status = crd.getStatus() != null ? crd.getStatus()
        : CustomResourceDefinitionStatus.newBuilder().build();
    crd.setStatus(status);
    Optional<String> conflict = Kinds.conflict(kind);
    String time = ObjectFields.timestamp(now);
    if (conflict.isPresent()) {
      set(status, CustomResourceDefinitions.NAMES_ACCEPTED, "False", "NameConflict", conflict.get(), time);
      if (!CustomResourceDefinitions.established(crd)) {
        set(status, CustomResourceDefinitions.ESTABLISHED, "False", "NotAccepted", "not all names are accepted", time);
      }
      return null;
    }
    if (!dryRun) {
      try {
        topics.ensure(kind);
      } catch (RuntimeException e) {
        log.error("the state topic of {} could not be made", crd.getMetadata().getName(), e);
        return StatusErrors.internal("the state topic of " + crd.getMetadata().getName() + " could not be made: "
            + e.getMessage());
      }
    }
    status.setAcceptedNames(acceptedNames(crd));
    set(status, CustomResourceDefinitions.NAMES_ACCEPTED, "True", "NoConflicts", "no conflicts found", time);
    set(status, CustomResourceDefinitions.ESTABLISHED, "True", "InitialNamesAccepted",
        "the initial names have been accepted", time);
    List<String> stored = status.getStoredVersions() == null ? new ArrayList<>()
        : new ArrayList<>(status.getStoredVersions());
    if (!stored.contains(kind.version())) {
      stored.add(kind.version());
    }
    status.setStoredVersions(stored);
    return null;
  }

  /** After the definition was written: an established one's kind is served from now on. */
  void written(CustomResourceDefinition crd) {
    register(crd);
  }

  /** Keeps the registry in step with a definition (see {@link CustomResourceDefinitions#follow}). */
  static void register(CustomResourceDefinition crd) {
    CustomResourceDefinitions.follow(crd).ifPresent(why ->
        log.warn("the kind of {} is not served: {}", crd.getMetadata().getName(), why));
  }

  private static CustomResourceDefinitionNames acceptedNames(CustomResourceDefinition crd) {
    CustomResourceDefinitionNames n = crd.getSpec().getNames();
    CustomResourceDefinitionNames accepted = CustomResourceDefinitionNames.newBuilder(n).build();
    if (accepted.getSingular() == null || accepted.getSingular().isEmpty()) {
      accepted.setSingular(n.getKind().toLowerCase(java.util.Locale.ROOT));
    }
    if (accepted.getListKind() == null || accepted.getListKind().isEmpty()) {
      accepted.setListKind(n.getKind() + "List");
    }
    return accepted;
  }

  private static void set(CustomResourceDefinitionStatus status, String type, String value, String reason,
      String message, String time) {
    DefinitionRules.setCondition(status, type, value, reason, message, time);
  }
}
