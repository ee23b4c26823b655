package io.capstan.logschema.validation;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.logschema.crd.CustomObjects;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.json.KubeJson;
import io.capstan.api.ConfigMap;
import io.capstan.api.Deployment;
import io.capstan.api.Endpoints;
import io.capstan.api.Event;
import io.capstan.api.Job;
import io.capstan.api.Lease;
import io.capstan.api.LimitRange;
import io.capstan.api.Node;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.ResourceQuota;
import io.capstan.api.Secret;
import io.capstan.api.Service;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.function.Function;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Per-kind validation of an object as Kubernetes' API validation does it: names, labels,
 * required fields, quantities, ports, enumerations, selectors. Returns every problem found,
 * with field paths; an empty list means valid. Run by the command processor on create and
 * update, after defaulting: {@code metadata.name} and, for namespaced kinds,
 * {@code metadata.namespace} must be set by then.
 */
public final class ObjectValidator {
  private ObjectValidator() {}

  public static List<FieldError> validate(Kind kind, IndexedRecord object) {
    FieldErrors errors = new FieldErrors();
    if (!object.getSchema().getFullName().equals(kind.schema().getFullName())) {
      errors.add(FieldError.invalid("kind", object.getSchema().getName(), "expected a " + kind.kind()));
      return errors.list();
    }
    IndexedRecord record = asSpecific(kind, object);
    SchemaRules.check(record, "", errors);
    ObjectMeta meta = (ObjectMeta) record.get(record.getSchema().getField("metadata").pos());
    if (meta == null) {
      errors.add(FieldError.required("metadata"));
      return errors.list();
    }
    MetadataRules.checkObjectMeta(kind, meta, nameSyntax(kind), errors);
    if (record instanceof Pod pod) {
      if (pod.getSpec() == null) {
        errors.add(FieldError.required("spec"));
      } else {
        PodSpecRules.check("spec", pod.getSpec(), errors);
      }
    } else if (record instanceof Deployment d) {
      WorkloadRules.checkDeployment(d, errors);
    } else if (record instanceof ReplicaSet rs) {
      WorkloadRules.checkReplicaSet(rs, errors);
    } else if (record instanceof Job job) {
      WorkloadRules.checkJob(job, errors);
    } else if (record instanceof Service svc) {
      ServiceRules.checkService(svc, errors);
    } else if (record instanceof Endpoints ep) {
      ServiceRules.checkEndpoints(ep, errors);
    } else if (record instanceof Node node) {
      ClusterObjectRules.checkNode(node, errors);
    } else if (record instanceof ConfigMap cm) {
      ClusterObjectRules.checkConfigMap(cm, errors);
    } else if (record instanceof Secret secret) {
      ClusterObjectRules.checkSecret(secret, errors);
    } else if (record instanceof Event ev) {
      ClusterObjectRules.checkEvent(ev, errors);
    } else if (record instanceof ResourceQuota quota) {
      ClusterObjectRules.checkResourceQuota(quota, errors);
    } else if (record instanceof LimitRange lr) {
      ClusterObjectRules.checkLimitRange(lr, errors);
    } else if (record instanceof Lease lease) {
      ClusterObjectRules.checkLease(lease, errors);
    } else if (record instanceof CustomResourceDefinition crd) {
      CustomResourceDefinitions.validate(crd).forEach(errors::add);
    } else if (record instanceof io.capstan.api.Role role) {
      RbacRules.checkRole(role, errors);
    } else if (record instanceof io.capstan.api.ClusterRole role) {
      RbacRules.checkClusterRole(role, errors);
    } else if (record instanceof io.capstan.api.RoleBinding rb) {
      RbacRules.checkRoleBinding(rb, errors);
    } else if (record instanceof io.capstan.api.ClusterRoleBinding crb) {
      RbacRules.checkClusterRoleBinding(crb, errors);
    } else if (record instanceof io.capstan.api.PodDisruptionBudget pdb) {
      DisruptionBudgetRules.check(pdb, errors);
    } else if (record instanceof io.capstan.api.HorizontalPodAutoscaler hpa) {
      AutoscalerRules.check(hpa, errors);
    } else if (record instanceof io.capstan.api.CronJob cj) {
      CronJobRules.check(cj, errors);
    } else if (record instanceof io.capstan.api.PriorityClass pc) {
      PriorityClassRules.check(pc, errors);
    } else if (record instanceof io.capstan.api.DaemonSet ds) {
      DaemonSetRules.checkDaemonSet(ds, errors);
    } else if (record instanceof io.capstan.api.ControllerRevision cr) {
      DaemonSetRules.checkControllerRevision(cr, errors);
    } else if (record instanceof io.capstan.api.StatefulSet sts) {
      StatefulSetRules.check(sts, errors);
    } else if (record instanceof io.capstan.api.PersistentVolume pv) {
      StorageRules.checkPersistentVolume(pv, errors);
    } else if (record instanceof io.capstan.api.PersistentVolumeClaim pvc) {
      StorageRules.checkPersistentVolumeClaim(pvc, errors);
    } else if (record instanceof io.capstan.api.StorageClass sc) {
      StorageRules.checkStorageClass(sc, errors);
    } else if (kind.custom()) {
      CustomObjects.validate(kind.openApiSchema(), KubeJson.toJson(record)).forEach(errors::add);
    }
    // Namespace: schema and metadata rules only.
    return errors.list();
  }

  /**
   * The name syntax of each kind, as its Kubernetes ValidateXName: Namespaces are DNS-1123
   * labels, Services DNS-1035 labels (a Service name becomes a DNS name and an env var
   * prefix, so it must start with a letter), everything else DNS-1123 subdomains.
   */
  public static Function<String, List<String>> nameSyntax(Kind kind) {
    if (kind.equals(Kinds.NAMESPACE)) {
      return Names::dns1123Label;
    }
    if (kind.equals(Kinds.SERVICE)) {
      return Names::dns1035Label;
    }
    if (kind.group().equals(RbacRules.GROUP)) {
      return RbacRules::pathSegmentName; // system:basic-user and the like
    }
    return Names::dns1123Subdomain;
  }

  /** Rules are written against the generated classes; a generic record (e.g. from a test) is copied into one. */
  private static IndexedRecord asSpecific(Kind kind, IndexedRecord object) {
    if (object instanceof SpecificRecord) {
      return object;
    }
    return (IndexedRecord) SpecificData.get().deepCopy(kind.schema(), object);
  }
}
