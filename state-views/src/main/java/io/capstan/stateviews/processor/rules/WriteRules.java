package io.capstan.stateviews.processor.rules;

import static io.capstan.stateviews.processor.rules.ObjectFields.METADATA;
import static io.capstan.stateviews.processor.rules.ObjectFields.STATUS;
import static io.capstan.stateviews.processor.rules.ObjectFields.isEmpty;
import static io.capstan.stateviews.processor.rules.ObjectFields.meta;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PriorityClass;
import io.capstan.api.StorageClass;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.DeleteOptions;
import io.capstan.log.ErrorStatus;
import io.capstan.log.EventOp;
import io.capstan.logschema.client.Commands;
import io.capstan.logschema.crd.CelRules;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.pods.EphemeralContainers;
import io.capstan.logschema.secrets.SecretSealing;
import io.capstan.logschema.validation.FieldError;
import io.capstan.logschema.validation.ObjectValidator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.generic.IndexedRecord;

/**
 * Decides what one command does to the object it names, given the stored object: the rules of
 * kube-apiserver's generic registry (create / update / delete with preconditions, generation,
 * finalizers) and of the pod and namespace registries. Decisions only: nothing is stored here,
 * and dry runs get exactly the decision a real run would.
 */
public final class WriteRules {
  private static final Set<String> NOT_SPEC = Set.of(METADATA, STATUS);
  /** Kinds whose creator may set status: a kubelet registers its Node with status filled in. */
  private static final Set<String> KEEP_STATUS_ON_CREATE = Set.of("Node");
  public static final String ORPHAN_FINALIZER = "orphan";
  public static final String FOREGROUND_FINALIZER = "foregroundDeletion";
  private static final List<String> POLICIES = List.of("Foreground", "Background", "Orphan");

  private final NamespaceLookup namespaces;
  private final PriorityAdmission priorities;
  /** The ServiceAccount admission's lookup; null: that admission is off (as a kube-apiserver without the plugin). */
  private final ServiceAccountLookup serviceAccounts;
  /** DefaultStorageClass, StorageObjectInUseProtection, claim resize and class size limits. */
  private final StorageAdmission storage;
  private final LimitRangeAdmission limitRanges;

  public WriteRules(NamespaceLookup namespaces) {
    this(namespaces, NamedLookup.none(), null);
  }

  /**
   * @param priorityClasses what pod admission resolves {@code priorityClassName} against
   * @param serviceAccounts where pod creates find their ServiceAccount ({@link ServiceAccountAdmission}); null: off
   */
  public WriteRules(NamespaceLookup namespaces, NamedLookup<PriorityClass> priorityClasses,
      ServiceAccountLookup serviceAccounts) {
    this(namespaces, priorityClasses, serviceAccounts, NamedLookup.none(), LimitRangeLookup.NONE);
  }

  /**
   * @param storageClasses what claim admission finds the default class and class limits in
   * @param limitRanges    the LimitRanges pod and claim creates are admitted against ({@link LimitRangeAdmission})
   */
  public WriteRules(NamespaceLookup namespaces, NamedLookup<PriorityClass> priorityClasses,
      ServiceAccountLookup serviceAccounts, NamedLookup<StorageClass> storageClasses, LimitRangeLookup limitRanges) {
    this.namespaces = Objects.requireNonNull(namespaces, "namespaces");
    this.priorities = new PriorityAdmission(priorityClasses);
    this.serviceAccounts = serviceAccounts;
    this.storage = new StorageAdmission(storageClasses);
    this.limitRanges = new LimitRangeAdmission(limitRanges);
  }

  /**
   * What the command does.
   *
   * @param object the command's decoded object (null when it carries none)
   * @param stored the object as stored now, or null when absent
   */
  public Outcome decide(Command cmd, Kind kind, IndexedRecord object, IndexedRecord stored, Instant now) {
    return switch (cmd.getOp()) {
      case CREATE -> create(cmd, kind, object, stored, now);
      case UPDATE -> update(cmd, kind, object, stored);
      case UPDATE_STATUS -> updateStatus(cmd, kind, object, stored);
      case DELETE -> delete(cmd, kind, stored, now);
      case BIND -> bind(cmd, kind, stored, now);
    };
  }

  /**
   * Whether the command names an object at all (kind scope, namespace, name); checked before
   * its object key is formed. Null when it does.
   */
  public static ErrorStatus checkAddress(Command cmd, Kind kind) {
    if (isEmpty(cmd.getName())) {
      if (cmd.getOp() == CommandOp.CREATE) {
        return StatusErrors.invalid(kind, "", List.of(new FieldError("metadata.name", "FieldValueRequired",
            "Required value: name or generateName is required")));
      }
      return StatusErrors.badRequest("the " + cmd.getOp() + " command for " + kind.kind() + " names no object (name is empty)");
    }
    if (cmd.getName().indexOf('/') >= 0) {
      return StatusErrors.invalid(kind, cmd.getName(), List.of(FieldError.invalid("metadata.name", cmd.getName(),
          "may not contain '/'")));
    }
    if (kind.namespaced() && isEmpty(cmd.getNamespace())) {
      return StatusErrors.badRequest(kind.kind() + " is namespaced: the command for \"" + cmd.getName()
          + "\" needs a namespace");
    }
    if (!kind.namespaced() && !isEmpty(cmd.getNamespace())) {
      return StatusErrors.badRequest(kind.kind() + " is cluster-scoped: the command for \"" + cmd.getName()
          + "\" must not name a namespace (got \"" + cmd.getNamespace() + "\")");
    }
    return null;
  }

  // ---- create ----

  private Outcome create(Command cmd, Kind kind, IndexedRecord object, IndexedRecord stored, Instant now) {
    ErrorStatus bad = checkObject(cmd, kind, object);
    if (bad != null) {
      return new Outcome.Rejected(bad);
    }
    ObjectMeta meta = meta(object);
    if (!isEmpty(meta.getResourceVersion())) {
      return new Outcome.Rejected(StatusErrors.badRequest("resourceVersion should not be set on objects to be created"
          + " (metadata.resourceVersion is \"" + meta.getResourceVersion() + "\")"));
    }
    if (CustomResourceDefinitions.terminating(kind)) {
      return new Outcome.Rejected(StatusErrors.definitionTerminating(kind, cmd.getOp().toString()));
    }
    if (kind.namespaced()) {
      // As the NamespaceLifecycle admission plugin: before validation and before the store.
      Optional<Namespace> ns = namespaces.find(cmd.getNamespace());
      if (ns.isEmpty()) {
        return new Outcome.Rejected(StatusErrors.namespaceNotFound(cmd.getNamespace()));
      }
      if (NamespaceRules.isTerminating(ns.get())) {
        return new Outcome.Rejected(StatusErrors.namespaceTerminating(kind, cmd.getName(), cmd.getNamespace()));
      }
    }
    // System fields are the server's, whatever the client sent (FillObjectMetaSystemFields).
    meta.setUid(ObjectFields.randomUid());
    meta.setCreationTimestamp(ObjectFields.timestamp(now));
    meta.setGeneration(1L);
    meta.setDeletionTimestamp(null);
    meta.setDeletionGracePeriodSeconds(null);
    if (object instanceof Namespace ns) {
      NamespaceRules.prepareForCreate(ns);
    } else if (object instanceof Pod pod) {
      PodRules.prepareForCreate(pod);
    } else if (kind.hasStatus() && !KEEP_STATUS_ON_CREATE.contains(kind.kind())) {
      ObjectFields.putIfDeclared(object, STATUS, null);
    }
    Defaulting.prepareForCreate(object);
    if (object instanceof Pod pod) {
      limitRanges.admitCreate(pod); // LimitRanger's mutating half runs before ServiceAccount, as kube orders them
    }
    if (object instanceof Pod pod && serviceAccounts != null) {
      // Mutating admission: after defaulting, before validation, as in kube-apiserver.
      Optional<ErrorStatus> refused = ServiceAccountAdmission.admit(kind, cmd.getName(), pod, serviceAccounts);
      if (refused.isPresent()) {
        return new Outcome.Rejected(refused.get());
      }
      Defaulting.apply(pod); // the volume it may add gets its defaults too
    }
    storage.mutateCreate(object); // a claim's default class, the protection finalizers
    if (object instanceof Pod pod) {
      ErrorStatus refusedPriority = priorities.admitCreate(pod); // mutating admission: before validation
      if (refusedPriority != null) {
        return new Outcome.Rejected(refusedPriority);
      }
    }
    List<FieldError> errors = validate(kind, object, true);
    errors.addAll(celRules(kind, object, null));
    if (object instanceof Pod pod && !EphemeralContainers.of(pod.getSpec()).isEmpty()) {
      errors.add(FieldError.forbidden(PodRules.EPHEMERAL_CONTAINERS, "cannot be set on create"));
    }
    if (!errors.isEmpty()) {
      return new Outcome.Rejected(StatusErrors.invalid(kind, cmd.getName(), errors));
    }
    if (object instanceof io.capstan.api.PersistentVolumeClaim pvc && storage.admitCreate(pvc) != null) {
      return new Outcome.Rejected(storage.admitCreate(pvc)); // the class's size limit
    }
    if (object instanceof io.capstan.api.PriorityClass pc) {
      ErrorStatus refused = priorities.admitClass(pc); // validating admission: one global default
      if (refused != null) {
        return new Outcome.Rejected(refused);
      }
    }
    ErrorStatus outOfRange = limitRanges.validateCreate(kind, cmd.getName(), object); // validating: min, max, ratio
    if (outOfRange != null) {
      return new Outcome.Rejected(outOfRange);
    }
    if (stored != null) {
      return new Outcome.Rejected(StatusErrors.alreadyExists(kind, cmd.getName(), meta(stored).getDeletionTimestamp() != null));
    }
    return new Outcome.Write(EventOp.CREATED, null, object);
  }

  // ---- update ----

  /** What update and updateStatus both refuse: a bad object, a missing one, a failed precondition. */
  private ErrorStatus checkChangeOfStored(Command cmd, Kind kind, IndexedRecord object, IndexedRecord stored) {
    ErrorStatus bad = checkObject(cmd, kind, object);
    if (bad != null) {
      return bad;
    }
    if (stored == null) {
      return StatusErrors.notFound(kind, cmd.getName());
    }
    return checkPreconditions(kind, cmd.getName(), meta(object), meta(stored));
  }

  private Outcome update(Command cmd, Kind kind, IndexedRecord object, IndexedRecord stored) {
    ErrorStatus refused = checkChangeOfStored(cmd, kind, object, stored);
    if (refused != null) {
      return new Outcome.Rejected(refused);
    }
    boolean ephemeral = Commands.EPHEMERAL_CONTAINERS.equals(cmd.getSubresource());
    if (cmd.getSubresource() != null && !(ephemeral && stored instanceof Pod)) {
      return new Outcome.Rejected(StatusErrors.badRequest("the UPDATE command for " + kind.kind()
          + " names a subresource it has not: " + cmd.getSubresource()));
    }
    if (ephemeral) {
      // As the ephemeralcontainers strategy: every other change the object carries is dropped.
      object = PodRules.withEphemeralContainersOf((Pod) stored, (Pod) object);
    } else if (object instanceof Pod pod) {
      PodRules.keepEphemeralContainers(pod, (Pod) stored);
      PriorityAdmission.keepResolved(pod, (Pod) stored);
      PodRules.keepServiceAccount(pod, (Pod) stored);
      PodRules.prepareForUpdate(pod);
    } else if (object instanceof io.capstan.api.Secret secret && stored instanceof io.capstan.api.Secret had) {
      SecretSealing.keepStoredValuesIfSame(had, secret); // the same values sealed again are no change
    }
    ObjectMeta was = meta(stored);
    ObjectMeta meta = meta(object);
    // Fields an update cannot change keep their stored values, as rest.BeforeUpdate does.
    meta.setName(was.getName());
    meta.setNamespace(was.getNamespace());
    meta.setUid(was.getUid());
    meta.setCreationTimestamp(was.getCreationTimestamp());
    meta.setDeletionTimestamp(was.getDeletionTimestamp());
    meta.setDeletionGracePeriodSeconds(was.getDeletionGracePeriodSeconds());
    meta.setGeneration(was.getGeneration());
    meta.setResourceVersion(was.getResourceVersion());
    if (kind.hasStatus()) {
      // Status belongs to the status subresource.
      ObjectFields.putIfDeclared(object, STATUS, ObjectFields.get(stored, STATUS));
    }
    Defaulting.apply(object);
    List<FieldError> errors = new ArrayList<>();
    if (was.getDeletionTimestamp() != null) {
      List<String> added = added(was.getFinalizers(), meta.getFinalizers());
      if (!added.isEmpty()) {
        errors.add(new FieldError("metadata.finalizers", "FieldValueForbidden",
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers "
                + quoted(added)));
      }
    }
    errors.addAll(validate(kind, object, false));
    errors.addAll(celRules(kind, object, stored));
    errors.addAll(io.capstan.logschema.validation.RbacRules.checkUpdate(stored, object)); // roleRef is immutable
    errors.addAll(io.capstan.logschema.validation.PriorityClassRules.checkUpdate(stored, object)); // value too
    errors.addAll(io.capstan.logschema.validation.DaemonSetRules.checkUpdate(stored, object)); // selector, data
    errors.addAll(io.capstan.logschema.validation.PodUpdateRules.checkUpdate(stored, object)); // a pod's spec
    errors.addAll(io.capstan.logschema.validation.StatefulSetRules.checkUpdate(stored, object)); // all but 7 fields
    errors.addAll(io.capstan.logschema.validation.StorageRules.checkUpdate(stored, object)); // claim spec, class
    if (ephemeral) {
      errors.addAll(PodRules.ephemeralContainerChanges((Pod) stored, (Pod) object));
    }
    if (!errors.isEmpty()) {
      return new Outcome.Rejected(StatusErrors.invalid(kind, cmd.getName(), errors));
    }
    if (object instanceof io.capstan.api.PriorityClass pc && priorities.admitClass(pc) != null) {
      return new Outcome.Rejected(priorities.admitClass(pc)); // one global default
    }
    if (object instanceof io.capstan.api.PersistentVolumeClaim pvc
        && stored instanceof io.capstan.api.PersistentVolumeClaim had && storage.admitUpdate(had, pvc) != null) {
      return new Outcome.Rejected(storage.admitUpdate(had, pvc)); // resize needs an expandable class
    }
    if (!ObjectFields.sameExcept(stored, object, NOT_SPEC)) {
      meta.setGeneration(generation(was) + 1);
    }
    // The last finalizer of an object marked for deletion is gone: the deletion completes
    // (Store.shouldDeleteDuringUpdate). A pod still in its grace period waits for the node's delete.
    if (was.getDeletionTimestamp() != null && Long.valueOf(0).equals(was.getDeletionGracePeriodSeconds())
        && !ObjectFields.hasFinalizers(object)) {
      return new Outcome.Remove(object);
    }
    if (ObjectFields.same(stored, object)) {
      return new Outcome.Unchanged(stored);
    }
    return new Outcome.Write(EventOp.UPDATED, stored, object);
  }

  private Outcome updateStatus(Command cmd, Kind kind, IndexedRecord object, IndexedRecord stored) {
    if (!kind.hasStatus()) {
      return new Outcome.Rejected(StatusErrors.badRequest(StatusErrors.resource(kind)
          + " have no status subresource: send UPDATE instead of UPDATE_STATUS"));
    }
    ErrorStatus refused = checkChangeOfStored(cmd, kind, object, stored);
    if (refused != null) {
      return new Outcome.Rejected(refused);
    }
    // Only status changes; spec and metadata stay as stored (ResetObjectMetaForStatus).
    IndexedRecord after = ObjectFields.copy(stored);
    ObjectFields.putIfDeclared(after, STATUS, ObjectFields.get(object, STATUS));
    Defaulting.apply(after); // status has defaults too (a Node's allocatable, a load balancer's ipMode)
    List<FieldError> errors = new ArrayList<>(ObjectValidator.validate(kind, after));
    errors.addAll(celRules(kind, after, stored));
    if (!errors.isEmpty()) {
      return new Outcome.Rejected(StatusErrors.invalid(kind, cmd.getName(), errors));
    }
    if (ObjectFields.same(stored, after)) {
      return new Outcome.Unchanged(stored);
    }
    return new Outcome.Write(EventOp.STATUS_UPDATED, stored, after);
  }

  // ---- delete ----

  private Outcome delete(Command cmd, Kind kind, IndexedRecord stored, Instant now) {
    DeleteOptions options = cmd.getDeleteOptions();
    String policy = options == null ? null : options.getPropagationPolicy();
    if (policy != null && !POLICIES.contains(policy)) {
      return new Outcome.Rejected(StatusErrors.invalid("DeleteOptions", "", "", List.of(new FieldError(
          "propagationPolicy", "FieldValueNotSupported",
          "Unsupported value: \"" + policy + "\": supported values: \"Foreground\", \"Background\", \"Orphan\""))));
    }
    if (kind.equals(Kinds.PRIORITY_CLASS) && PriorityAdmission.admitDelete(cmd.getName()) != null) {
      return new Outcome.Rejected(PriorityAdmission.admitDelete(cmd.getName()));
    }
    if (stored == null) {
      return new Outcome.Rejected(StatusErrors.notFound(kind, cmd.getName()));
    }
    ObjectMeta was = meta(stored);
    if (options != null && options.getPreconditionUid() != null
        && !options.getPreconditionUid().equals(was.getUid())) {
      return new Outcome.Rejected(StatusErrors.conflict(StatusErrors.resource(kind), kind, cmd.getName(),
          "the UID in the precondition (" + options.getPreconditionUid() + ") does not match the UID in record ("
              + was.getUid() + "). The object might have been deleted and then recreated"));
    }
    if (options != null && options.getPreconditionResourceVersion() != null
        && !options.getPreconditionResourceVersion().equals(was.getResourceVersion())) {
      return new Outcome.Rejected(StatusErrors.conflict(StatusErrors.resource(kind), kind, cmd.getName(),
          "the ResourceVersion in the precondition (" + options.getPreconditionResourceVersion()
              + ") does not match the ResourceVersion in record (" + was.getResourceVersion()
              + "). The object might have been modified"));
    }
    if (was.getDeletionTimestamp() != null) {
      return deleteAgain(stored, options);
    }
    IndexedRecord after = ObjectFields.copy(stored);
    ObjectMeta meta = meta(after);
    applyPropagationPolicy(meta, policy);
    long grace = after instanceof Pod pod ? PodRules.gracePeriod(pod, options) : 0;
    if (grace > 0) {
      // Graceful pod deletion: the node agent stops the containers, then deletes with grace 0.
      meta.setDeletionTimestamp(ObjectFields.timestamp(now.plusSeconds(grace)));
      meta.setDeletionGracePeriodSeconds(grace);
      meta.setGeneration(generation(was) + 1);
      return new Outcome.Write(EventOp.DELETION_STARTED, stored, after);
    }
    if (after instanceof CustomResourceDefinition crd) {
      DefinitionRules.markTerminating(crd, now); // held until its objects are gone
    }
    if (ObjectFields.hasFinalizers(after)) {
      // Finalizers hold the object (markAsDeleting); a Namespace waits for the namespace controller.
      meta.setDeletionTimestamp(ObjectFields.timestamp(now));
      meta.setDeletionGracePeriodSeconds(0L);
      meta.setGeneration(generation(was) + 1);
      if (after instanceof Namespace ns) {
        NamespaceRules.markTerminating(ns);
      }
      return new Outcome.Write(EventOp.DELETION_STARTED, stored, after);
    }
    return new Outcome.Remove(stored);
  }

  /** A delete of an object already marked: a pod's grace period may only get shorter. */
  private static Outcome deleteAgain(IndexedRecord stored, DeleteOptions options) {
    ObjectMeta was = meta(stored);
    Long grace = was.getDeletionGracePeriodSeconds();
    if (stored instanceof Pod && grace != null && grace > 0) {
      if (options == null || options.getGracePeriodSeconds() == null
          || PodRules.normalize(options.getGracePeriodSeconds()) >= grace) {
        return new Outcome.Unchanged(stored);
      }
      long shorter = PodRules.normalize(options.getGracePeriodSeconds());
      if (shorter == 0 && !ObjectFields.hasFinalizers(stored)) {
        return new Outcome.Remove(stored);
      }
      IndexedRecord after = ObjectFields.copy(stored);
      Instant deadline = Instant.parse(was.getDeletionTimestamp()).minusSeconds(grace).plusSeconds(shorter);
      meta(after).setDeletionTimestamp(ObjectFields.timestamp(deadline));
      meta(after).setDeletionGracePeriodSeconds(shorter);
      return new Outcome.Write(EventOp.DELETION_STARTED, stored, after);
    }
    return ObjectFields.hasFinalizers(stored) ? new Outcome.Unchanged(stored) : new Outcome.Remove(stored);
  }

  /** As the garbage collector's deletion finalizers: Orphan and Foreground exclude each other. */
  private static void applyPropagationPolicy(ObjectMeta meta, String policy) {
    if (policy == null) {
      return;
    }
    List<String> finalizers = meta.getFinalizers() == null ? new ArrayList<>() : new ArrayList<>(meta.getFinalizers());
    finalizers.remove(ORPHAN_FINALIZER);
    finalizers.remove(FOREGROUND_FINALIZER);
    switch (policy) {
      case "Orphan" -> finalizers.add(ORPHAN_FINALIZER);
      case "Foreground" -> finalizers.add(FOREGROUND_FINALIZER);
      default -> { }
    }
    meta.setFinalizers(finalizers.isEmpty() && meta.getFinalizers() == null ? null : finalizers);
  }

  // ---- bind ----

  private static Outcome bind(Command cmd, Kind kind, IndexedRecord stored, Instant now) {
    if (!kind.kind().equals("Pod")) {
      return new Outcome.Rejected(StatusErrors.badRequest("only pods can be bound to a node, not " + kind.kind()));
    }
    String node = cmd.getNodeName();
    if (isEmpty(node)) {
      return new Outcome.Rejected(StatusErrors.invalid("Binding", "", cmd.getName(),
          List.of(FieldError.required("target.name"))));
    }
    if (stored == null) {
      return new Outcome.Rejected(StatusErrors.notFound(kind, cmd.getName()));
    }
    Pod pod = (Pod) stored;
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      return new Outcome.Rejected(StatusErrors.conflict("pods/binding", kind, cmd.getName(),
          "pod " + cmd.getName() + " is being deleted, cannot be assigned to a host"));
    }
    String current = PodRules.nodeName(pod);
    if (!isEmpty(current)) {
      return new Outcome.Rejected(StatusErrors.conflict("pods/binding", kind, cmd.getName(),
          "pod " + cmd.getName() + " is already assigned to node \"" + current + "\""));
    }
    Pod after = ObjectFields.copy(pod);
    // Binding is a direct store update in Kubernetes: no generation bump.
    PodRules.bind(after, node, now);
    return new Outcome.Write(EventOp.BOUND, stored, after);
  }

  // ---- shared checks ----

  /** The object is of the command's kind and names the command's object. */
  private static ErrorStatus checkObject(Command cmd, Kind kind, IndexedRecord object) {
    if (object == null) {
      return StatusErrors.badRequest("the " + cmd.getOp() + " command for " + kind.kind() + " \"" + cmd.getName()
          + "\" carries no object");
    }
    Optional<Kind> objectKind = Kinds.bySchema(object.getSchema());
    if (objectKind.isEmpty() || !objectKind.get().kind().equals(kind.kind())) {
      return StatusErrors.badRequest("the object is a " + objectKind.map(Kind::kind).orElse(object.getSchema().getFullName())
          + " but the command is for " + kind.kind());
    }
    ObjectMeta meta = meta(object);
    if (meta == null) {
      return StatusErrors.badRequest("the " + kind.kind() + " object has no metadata");
    }
    if (kind.namespaced()) {
      if (isEmpty(meta.getNamespace())) {
        meta.setNamespace(cmd.getNamespace());
      } else if (!meta.getNamespace().equals(cmd.getNamespace())) {
        return StatusErrors.badRequest("the namespace of the provided object (" + meta.getNamespace()
            + ") does not match the namespace sent on the request (" + cmd.getNamespace() + ")");
      }
    } else {
      meta.setNamespace(null);
    }
    if (isEmpty(meta.getName())) {
      if (cmd.getOp() == CommandOp.CREATE) {
        meta.setName(cmd.getName());
      } else {
        return StatusErrors.badRequest("the " + kind.kind() + " object has no metadata.name (the command is for \""
            + cmd.getName() + "\")");
      }
    } else if (!meta.getName().equals(cmd.getName())) {
      return StatusErrors.badRequest("the name of the object (" + meta.getName()
          + ") does not match the name on the request (" + cmd.getName() + ")");
    }
    return null;
  }

  /** resourceVersion and uid in the sent object are preconditions (GuaranteedUpdate). */
  private static ErrorStatus checkPreconditions(Kind kind, String name, ObjectMeta sent, ObjectMeta was) {
    if (!isEmpty(sent.getResourceVersion()) && !sent.getResourceVersion().equals(was.getResourceVersion())) {
      return StatusErrors.modified(kind, name);
    }
    if (!isEmpty(sent.getUid()) && !sent.getUid().equals(was.getUid())) {
      return StatusErrors.conflict(StatusErrors.resource(kind), kind, name,
          "Precondition failed: UID in precondition: " + sent.getUid() + ", UID in object meta: " + was.getUid());
    }
    return null;
  }

  private static boolean isEmptyMap(java.util.Map<?, ?> m) {
    return m == null || m.isEmpty();
  }

  /** The kind's validation plus the shared name rules, without reporting a field twice. */
  private static List<FieldError> validate(Kind kind, IndexedRecord object, boolean checkName) {
    List<FieldError> errors = new ArrayList<>(ObjectValidator.validate(kind, object));
    if (object instanceof io.capstan.api.Secret secret && !SecretSealing.isSealed(secret)
        && !(isEmptyMap(secret.getData()) && isEmptyMap(secret.getStringData()))) {
      // The single writer keeps what the writers promise: no Secret value is stored (or logged) in clear.
      errors.add(new FieldError("data", "FieldValueForbidden", "Secret values must be sealed by the writer before"
          + " they reach the log (the command client does it); refusing to store them in plaintext"));
    }
    if (checkName) {
      for (FieldError e : NameRules.checkName(kind, meta(object).getName())) {
        if (errors.stream().noneMatch(x -> x.field().equals(e.field()))) {
          errors.add(e);
        }
      }
    }
    return errors;
  }

  /** A custom kind's x-kubernetes-validations, with the stored object as oldSelf on updates. */
  private static List<FieldError> celRules(Kind kind, IndexedRecord object, IndexedRecord stored) {
    if (!kind.custom() || kind.openApiSchema() == null
        || kind.openApiSchema().findValues("x-kubernetes-validations").isEmpty()) {
      return List.of();
    }
    return CelRules.evaluate(kind.openApiSchema(), KubeJson.toJson(object),
        stored == null ? null : KubeJson.toJson(stored));
  }

  private static long generation(ObjectMeta meta) {
    return meta.getGeneration() == null ? 0 : meta.getGeneration();
  }

  private static List<String> added(List<String> before, List<String> after) {
    List<String> added = new ArrayList<>();
    if (after != null) {
      for (String f : after) {
        if (before == null || !before.contains(f)) {
          added.add(f);
        }
      }
    }
    return added;
  }

  private static String quoted(List<String> values) {
    return "[" + String.join(", ", values.stream().map(v -> "\"" + v + "\"").toList()) + "]";
  }
}
