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

  static void checkLimitRange(LimitRange lr, FieldErrors errors) {
    if (lr.getSpec() == null) {
      errors.add(FieldError.required("spec"));
      return;
    }
    List<LimitRangeItem> limits = orEmpty(lr.getSpec().getLimits());
    for (int i = 0; i < limits.size(); i++) {
      LimitRangeItem item = limits.get(i);
      String ip = index("spec.limits", i);
      errors.oneOf(field(ip, "type"), item.getType(), LIMIT_TYPES);
      errors.resourceList(field(ip, "max"), item.getMax());
      errors.resourceList(field(ip, "min"), item.getMin());
      errors.resourceList(field(ip, "default"), item.getDefault$());
      errors.resourceList(field(ip, "defaultRequest"), item.getDefaultRequest());
      errors.resourceList(field(ip, "maxLimitRequestRatio"), item.getMaxLimitRequestRatio());
      Map<String, String> max = orEmpty(item.getMax());
      for (Map.Entry<String, String> e : orEmpty(item.getMin()).entrySet()) {
        Quantity lo = FieldErrors.parseQuietly(e.getValue());
        Quantity hi = FieldErrors.parseQuietly(max.get(e.getKey()));
        if (lo != null && hi != null && lo.compareTo(hi) > 0) {
          errors.add(FieldError.invalid(FieldPath.key(field(ip, "min"), e.getKey()), e.getValue(),
              "min value " + e.getValue() + " is greater than max value " + max.get(e.getKey())));
        }
      }
      for (Map.Entry<String, String> e : orEmpty(item.getMaxLimitRequestRatio()).entrySet()) {
        Quantity ratio = FieldErrors.parseQuietly(e.getValue());
        if (ratio != null && ratio.compareTo(Quantity.of(1)) < 0) {
          errors.add(FieldError.invalid(FieldPath.key(field(ip, "maxLimitRequestRatio"), e.getKey()), e.getValue(),
              "ratio " + e.getValue() + " is less than 1"));
        }
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
