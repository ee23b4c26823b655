package io.capstan.logschema.validation;

import static io.capstan.logschema.json.FieldPath.field;
import static io.capstan.logschema.json.FieldPath.index;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.ConfigMap;
import io.capstan.api.Event;
import io.capstan.api.Lease;
import io.capstan.api.LimitRange;
import io.capstan.api.LimitRangeItem;
import io.capstan.api.Node;
import io.capstan.api.ResourceQuota;
import io.capstan.api.Secret;
import io.capstan.api.Taint;
import io.capstan.logschema.json.FieldPath;
import io.capstan.logschema.resource.Quantity;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The smaller kinds: Node, ConfigMap, Secret, Event, ResourceQuota, LimitRange, Lease.
 * (Namespace needs only its name, checked with the metadata.)
 */
final class ClusterObjectRules {
  /** etcd's request limit, which Kubernetes applies to ConfigMap and Secret data. */
  static final int MAX_DATA_BYTES = 1024 * 1024;
  private static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");
  private static final List<String> LIMIT_TYPES = List.of("Pod", "Container", "PersistentVolumeClaim");
  private static final List<String> QUOTA_SCOPES = List.of("Terminating", "NotTerminating", "BestEffort",
      "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass");

  private ClusterObjectRules() {}

  static void checkNode(Node node, FieldErrors errors) {
    if (node.getSpec() == null) {
      return;
    }
    List<Taint> taints = orEmpty(node.getSpec().getTaints());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < taints.size(); i++) {
      Taint t = taints.get(i);
      String tp = index("spec.taints", i);
      if (t.getKey() != null && !t.getKey().isEmpty()) {
        errors.name(field(tp, "key"), t.getKey(), Names::qualifiedName);
      }
      if (t.getValue() != null && !t.getValue().isEmpty()) {
        errors.name(field(tp, "value"), t.getValue(), Names::labelValue);
      }
      if (t.getEffect() != null && !t.getEffect().isEmpty()) {
        errors.oneOf(field(tp, "effect"), t.getEffect(), TAINT_EFFECTS);
      }
      if (!seen.add(t.getKey() + "\u0000" + t.getEffect())) {
        errors.add(FieldError.duplicate(tp, "taints must be unique by key and effect pair"));
      }
    }
  }

  static void checkConfigMap(ConfigMap cm, FieldErrors errors) {
    long size = 0;
    for (Map.Entry<String, String> e : orEmpty(cm.getData()).entrySet()) {
      errors.name("data", e.getKey(), Names::configMapKey);
      size += e.getValue() == null ? 0 : e.getValue().length();
    }
    for (Map.Entry<String, ByteBuffer> e : orEmpty(cm.getBinaryData()).entrySet()) {
      errors.name("binaryData", e.getKey(), Names::configMapKey);
      if (cm.getData() != null && cm.getData().containsKey(e.getKey())) {
        errors.add(FieldError.invalid("binaryData", e.getKey(), "duplicate of key present in data"));
      }
      size += e.getValue() == null ? 0 : e.getValue().remaining();
    }
    if (size > MAX_DATA_BYTES) {
      errors.add(FieldError.tooLong("", MAX_DATA_BYTES));
    }
  }

  static void checkSecret(Secret secret, FieldErrors errors) {
    long size = 0;
    for (Map.Entry<String, ByteBuffer> e : orEmpty(secret.getData()).entrySet()) {
      errors.name("data", e.getKey(), Names::configMapKey);
      size += e.getValue() == null ? 0 : e.getValue().remaining();
    }
    for (Map.Entry<String, String> e : orEmpty(secret.getStringData()).entrySet()) {
      errors.name("stringData", e.getKey(), Names::configMapKey);
      size += e.getValue() == null ? 0 : e.getValue().length();
    }
    if (size > MAX_DATA_BYTES) {
      errors.add(FieldError.tooLong("data", MAX_DATA_BYTES));
    }
  }

  static void checkEvent(Event ev, FieldErrors errors) {
    errors.oneOf("type", ev.getType(), List.of("Normal", "Warning"));
    errors.nonNegative("count", ev.getCount());
    var involved = ev.getInvolvedObject();
    String namespace = ev.getMetadata().getNamespace();
    // An event about a namespaced object lives in that object's namespace.
    if (involved != null && involved.getNamespace() != null && !involved.getNamespace().isEmpty()
        && namespace != null && !involved.getNamespace().equals(namespace)) {
      errors.add(FieldError.invalid("involvedObject.namespace", involved.getNamespace(),
          "does not match event.namespace"));
    }
  }

  static void checkResourceQuota(ResourceQuota quota, FieldErrors errors) {
    if (quota.getSpec() != null) {
      errors.resourceList("spec.hard", quota.getSpec().getHard());
      List<String> scopes = orEmpty(quota.getSpec().getScopes());
      for (int i = 0; i < scopes.size(); i++) {
        errors.oneOf(index("spec.scopes", i), scopes.get(i), QUOTA_SCOPES);
      }
    }
    if (quota.getStatus() != null) {
      errors.resourceList("status.hard", quota.getStatus().getHard());
      errors.resourceList("status.used", quota.getStatus().getUsed());
    }
  }

  /**
   * ValidateLimitRange: known types, each once; no defaults on a Pod item; a claim item bounds
   * storage; per resource min <= defaultRequest <= default <= max, and a ratio of at least 1 and at
   * most max/min. Defaulting ran before (a Container item's default comes from its max), as in kube.
   */
  static void checkLimitRange(LimitRange lr, FieldErrors errors) {
    if (lr.getSpec() == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    List<LimitRangeItem> limits = orEmpty(lr.getSpec().getLimits());
    java.util.Set<String> types = new java.util.HashSet<>();
    for (int i = 0; i < limits.size(); i++) {
      LimitRangeItem item = limits.get(i);
      String ip = index("spec.limits", i);
      errors.oneOf(field(ip, "type"), item.getType(), LIMIT_TYPES);
      if (item.getType() != null && !types.add(item.getType())) {
        errors.add(FieldError.duplicate(field(ip, "type"), item.getType()));
      }
      errors.resourceList(field(ip, "max"), item.getMax());
      errors.resourceList(field(ip, "min"), item.getMin());
      errors.resourceList(field(ip, "default"), item.getDefault$());
      errors.resourceList(field(ip, "defaultRequest"), item.getDefaultRequest());
      errors.resourceList(field(ip, "maxLimitRequestRatio"), item.getMaxLimitRequestRatio());
      if ("Pod".equals(item.getType())) {
        if (!orEmpty(item.getDefault$()).isEmpty()) {
          errors.add(FieldError.forbidden(field(ip, "default"), "may not be specified when `type` is 'Pod'"));
        }
        if (!orEmpty(item.getDefaultRequest()).isEmpty()) {
          errors.add(FieldError.forbidden(field(ip, "defaultRequest"), "may not be specified when `type` is 'Pod'"));
        }
      }
      if ("PersistentVolumeClaim".equals(item.getType()) && !orEmpty(item.getMin()).containsKey("storage")
          && !orEmpty(item.getMax()).containsKey("storage")) {
        errors.add(FieldError.required(field(ip, "limits"),
            "either minimum or maximum storage value is required, but neither was provided"));
      }
      java.util.Set<String> keys = new java.util.TreeSet<>();
      keys.addAll(orEmpty(item.getMax()).keySet());
      keys.addAll(orEmpty(item.getMin()).keySet());
      keys.addAll(orEmpty(item.getDefault$()).keySet());
      keys.addAll(orEmpty(item.getDefaultRequest()).keySet());
      keys.addAll(orEmpty(item.getMaxLimitRequestRatio()).keySet());
      for (String k : keys) {
        checkLimitRangeResource(ip, k, item, errors);
      }
    }
  }

  /** The bounds of one resource of one LimitRange item, in kube's words. */
  private static void checkLimitRangeResource(String ip, String k, LimitRangeItem item, FieldErrors errors) {
    String minText = orEmpty(item.getMin()).get(k);
    String maxText = orEmpty(item.getMax()).get(k);
    String dfltText = orEmpty(item.getDefault$()).get(k);
    String requestText = orEmpty(item.getDefaultRequest()).get(k);
    String ratioText = orEmpty(item.getMaxLimitRequestRatio()).get(k);
    Quantity min = FieldErrors.parseQuietly(minText);
    Quantity max = FieldErrors.parseQuietly(maxText);
    Quantity dflt = FieldErrors.parseQuietly(dfltText);
    Quantity request = FieldErrors.parseQuietly(requestText);
    Quantity ratio = FieldErrors.parseQuietly(ratioText);
    if (min != null && max != null && min.compareTo(max) > 0) {
      errors.add(FieldError.invalid(FieldPath.key(field(ip, "min"), k), minText,
          "min value " + min + " is greater than max value " + max));
    }
    if (request != null && min != null && min.compareTo(request) > 0) {
      errors.add(FieldError.invalid(FieldPath.key(field(ip, "defaultRequest"), k), requestText,
          "min value " + min + " is greater than default request value " + request));
    }
    if (request != null && max != null && request.compareTo(max) > 0) {
      errors.add(FieldError.invalid(FieldPath.key(field(ip, "defaultRequest"), k), requestText,
          "default request value " + request + " is greater than max value " + max));
    }
    if (request != null && dflt != null && request.compareTo(dflt) > 0) {
      errors.add(FieldError.invalid(FieldPath.key(field(ip, "defaultRequest"), k), requestText,
          "default request value " + request + " is greater than default limit value " + dflt));
    }
    if (dflt != null && min != null && min.compareTo(dflt) > 0) {
      errors.add(FieldError.invalid(FieldPath.key(field(ip, "default"), k), minText,
          "min value " + min + " is greater than default value " + dflt));
    }
    if (dflt != null && max != null && dflt.compareTo(max) > 0) {
      errors.add(FieldError.invalid(FieldPath.key(field(ip, "default"), k), maxText,
          "default value " + dflt + " is greater than max value " + max));
    }
    if (ratio != null && ratio.compareTo(Quantity.of(1)) < 0) {
      errors.add(FieldError.invalid(FieldPath.key(field(ip, "maxLimitRequestRatio"), k), ratioText,
          "ratio " + ratio + " is less than 1"));
    }
    if (ratio != null && min != null && max != null && min.signum() > 0) {
      double allowed = max.amount().doubleValue() / min.amount().doubleValue();
      if (ratio.amount().doubleValue() > allowed) {
        errors.add(FieldError.invalid(FieldPath.key(field(ip, "maxLimitRequestRatio"), k), ratioText,
            "ratio " + ratio + " is greater than max/min = " + String.format(java.util.Locale.ROOT, "%f", allowed)));
      }
    }
  }

  static void checkLease(Lease lease, FieldErrors errors) {
    if (lease.getSpec() == null) {
      return;
    }
    errors.positive("spec.leaseDurationSeconds", lease.getSpec().getLeaseDurationSeconds());
    errors.nonNegative("spec.leaseTransitions", lease.getSpec().getLeaseTransitions());
  }
}
