package io.capstan.logschema.defaults;

import io.capstan.api.Deployment;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.Job;
import io.capstan.api.LimitRange;
import io.capstan.api.LimitRangeItem;
import io.capstan.api.Namespace;
import io.capstan.api.NamespaceStatus;
import io.capstan.api.Node;
import io.capstan.api.NodeStatus;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.ReplicaSet;
import io.capstan.api.Secret;
import io.capstan.api.Service;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * kube-apiserver's defaulting of a whole object (the generated {@code SetObjectDefaults_<Kind>}):
 * the kind's own defaulter and those of every nested type it holds. Idempotent, so it runs on
 * every create, update and status update, as Kubernetes runs it on every decode. ConfigMap, Event,
 * Lease and ResourceQuota have no defaults that show in their JSON.
 */
public final class ObjectDefaults {
  /** The label every namespace carries with its own name (core/v1 LabelMetadataName). */
  public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
  /** The type of a Secret that names none. */
  public static final String OPAQUE = "Opaque";
  static final String TCP = "TCP";

  private ObjectDefaults() {}

  /** Fills in the defaults of {@code object} in place; objects of other types are left alone. */
  public static void apply(Object object) {
    if (object instanceof Pod p) {
      PodDefaults.pod(p);
    } else if (object instanceof Service s) {
      ServiceDefaults.service(s);
    } else if (object instanceof Deployment d) {
      WorkloadDefaults.deployment(d);
    } else if (object instanceof ReplicaSet rs) {
      WorkloadDefaults.replicaSet(rs);
    } else if (object instanceof Job j) {
      WorkloadDefaults.job(j);
    } else if (object instanceof Secret s) {
      secret(s);
    } else if (object instanceof Namespace ns) {
      namespace(ns);
    } else if (object instanceof Node n) {
      node(n);
    } else if (object instanceof Endpoints e) {
      endpoints(e);
    } else if (object instanceof LimitRange lr) {
      limitRange(lr);
    } else if (object instanceof io.capstan.api.CronJob cj) {
      WorkloadDefaults.cronJob(cj);
    } else if (object instanceof io.capstan.api.PriorityClass pc && pc.getPreemptionPolicy() == null) {
      pc.setPreemptionPolicy("PreemptLowerPriority"); // scheduling/v1 SetDefaults_PriorityClass
    } else if (object instanceof io.capstan.api.RoleBinding rb) {
      subjects(rb.getSubjects());
    } else if (object instanceof io.capstan.api.ClusterRoleBinding crb) {
      subjects(crb.getSubjects());
    } else if (object instanceof io.capstan.api.DaemonSet ds) {
      WorkloadDefaults.daemonSet(ds);
    } else if (object instanceof io.capstan.api.StatefulSet sts) {
      WorkloadDefaults.statefulSet(sts);
    } else if (object instanceof io.capstan.api.PersistentVolume pv) {
      StorageDefaults.persistentVolume(pv);
    } else if (object instanceof io.capstan.api.PersistentVolumeClaim pvc) {
      StorageDefaults.persistentVolumeClaim(pvc);
    } else if (object instanceof io.capstan.api.StorageClass sc) {
      StorageDefaults.storageClass(sc);
    } else if (object instanceof io.capstan.api.HorizontalPodAutoscaler hpa) {
      AutoscalerDefaults.horizontalPodAutoscaler(hpa);
    }
  }

  /** rbac/v1 SetDefaults_Subject: Users and Groups are of the RBAC group, ServiceAccounts of the core one. */
  private static void subjects(java.util.List<io.capstan.api.Subject> subjects) {
    if (subjects == null) {
      return;
    }
    for (io.capstan.api.Subject s : subjects) {
      if (isEmpty(s.getApiGroup()) && ("User".equals(s.getKind()) || "Group".equals(s.getKind()))) {
        s.setApiGroup("rbac.authorization.k8s.io");
      }
    }
  }

  /** core/v1 SetDefaults_Secret. */
  private static void secret(Secret s) {
    if (isEmpty(s.getType())) {
      s.setType(OPAQUE);
    }
  }

  /** core/v1 SetDefaults_Namespace and SetDefaults_NamespaceStatus. */
  private static void namespace(Namespace ns) {
    ObjectMeta meta = ns.getMetadata();
    if (meta != null && !isEmpty(meta.getName())) {
      Map<String, String> labels = meta.getLabels() == null ? new HashMap<>() : new HashMap<>(meta.getLabels());
      labels.put(NAMESPACE_NAME_LABEL, meta.getName());
      meta.setLabels(labels);
    }
    NamespaceStatus status = ns.getStatus() == null ? NamespaceStatus.newBuilder().build() : ns.getStatus();
    if (isEmpty(status.getPhase())) {
      status.setPhase("Active");
    }
    ns.setStatus(status);
  }

  /** core/v1 SetDefaults_NodeStatus: a node that reports no allocatable has its whole capacity allocatable. */
  private static void node(Node n) {
    NodeStatus status = n.getStatus();
    if (status != null && status.getAllocatable() == null && status.getCapacity() != null) {
      status.setAllocatable(new LinkedHashMap<>(status.getCapacity()));
    }
  }

  /** core/v1 SetDefaults_Endpoints. */
  private static void endpoints(Endpoints e) {
    if (e.getSubsets() == null) {
      return;
    }
    for (EndpointSubset s : e.getSubsets()) {
      if (s.getPorts() != null) {
        for (EndpointPort p : s.getPorts()) {
          if (isEmpty(p.getProtocol())) {
            p.setProtocol(TCP);
          }
        }
      }
    }
  }

  /**
   * core/v1 SetDefaults_LimitRangeItem: a Container item's default limit falls back to its max,
   * its default request to the default limit, then to its min.
   */
  private static void limitRange(LimitRange lr) {
    if (lr.getSpec() == null || lr.getSpec().getLimits() == null) {
      return;
    }
    for (LimitRangeItem item : lr.getSpec().getLimits()) {
      if (!"Container".equals(item.getType())) {
        continue;
      }
      Map<String, String> limit = item.getDefault$() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(item.getDefault$());
      Map<String, String> request = item.getDefaultRequest() == null
          ? new LinkedHashMap<>() : new LinkedHashMap<>(item.getDefaultRequest());
      if (item.getMax() != null) {
        item.getMax().forEach(limit::putIfAbsent);
      }
      limit.forEach(request::putIfAbsent);
      if (item.getMin() != null) {
        item.getMin().forEach(request::putIfAbsent);
      }
      // Kubernetes leaves empty maps here, which its JSON omits: absent is the same to a reader.
      item.setDefault$(limit.isEmpty() ? item.getDefault$() : limit);
      item.setDefaultRequest(request.isEmpty() ? item.getDefaultRequest() : request);
    }
  }

  static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }
}
