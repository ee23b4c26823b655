package io.capstan.logschema.defaults;

import static io.capstan.logschema.defaults.ObjectDefaults.TCP;
import static io.capstan.logschema.defaults.ObjectDefaults.isEmpty;

import io.capstan.api.Container;
import io.capstan.api.ContainerPort;
import io.capstan.api.DownwardAPIVolumeFile;
import io.capstan.api.EmptyDirVolumeSource;
import io.capstan.api.EnvVar;
import io.capstan.api.EphemeralContainer;
import io.capstan.api.HTTPGetAction;
import io.capstan.api.Lifecycle;
import io.capstan.api.LifecycleHandler;
import io.capstan.api.ObjectFieldSelector;
import io.capstan.api.Pod;
import io.capstan.api.PodSecurityContext;
import io.capstan.api.PodSpec;
import io.capstan.api.PodTemplateSpec;
import io.capstan.api.Probe;
import io.capstan.api.ResourceRequirements;
import io.capstan.api.Volume;
import io.capstan.api.VolumeProjection;
import io.capstan.logschema.pods.EphemeralContainers;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The core/v1 defaulters of a pod and of a pod template: SetDefaults_PodSpec, _Container, _Probe,
 * _HTTPGetAction, _Volume and the volume sources, _ObjectFieldSelector and the declarative
 * {@code protocol: TCP} of container ports everywhere a PodSpec is; SetDefaults_Pod (requests from
 * limits, {@code enableServiceLinks}, host ports on the host network) on Pods only, as Kubernetes
 * keeps those out of templates.
 */
public final class PodDefaults {
  public static final String DEFAULT_SCHEDULER_NAME = "default-scheduler";
  public static final long DEFAULT_TERMINATION_GRACE_SECONDS = 30;
  public static final String TERMINATION_MESSAGE_PATH = "/dev/termination-log";
  /** 0644, the mode of files in secret, configMap, downwardAPI and projected volumes. */
  public static final int DEFAULT_FILE_MODE = 0644;
  private static final long TOKEN_EXPIRATION_SECONDS = 3600;

  private PodDefaults() {}

  /** SetObjectDefaults_Pod. */
  public static void pod(Pod pod) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return;
    }
    requestsFromLimits(spec.getContainers());
    requestsFromLimits(spec.getInitContainers());
    if (spec.getEnableServiceLinks() == null) {
      spec.setEnableServiceLinks(true);
    }
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      hostPortsFromContainerPorts(spec.getContainers());
      hostPortsFromContainerPorts(spec.getInitContainers());
    }
    podSpec(spec);
  }

  /** The defaults of a workload's pod template (SetDefaults_PodSpec and the nested types, no SetDefaults_Pod). */
  public static void template(PodTemplateSpec template) {
    if (template != null && template.getSpec() != null) {
      podSpec(template.getSpec());
    }
  }

  private static void podSpec(PodSpec spec) {
    if (isEmpty(spec.getDnsPolicy())) {
      spec.setDnsPolicy("ClusterFirst");
    }
    if (isEmpty(spec.getRestartPolicy())) {
      spec.setRestartPolicy("Always");
    }
    if (spec.getSecurityContext() == null) {
      spec.setSecurityContext(PodSecurityContext.newBuilder().build());
    }
    if (spec.getTerminationGracePeriodSeconds() == null) {
      spec.setTerminationGracePeriodSeconds(DEFAULT_TERMINATION_GRACE_SECONDS);
    }
    if (isEmpty(spec.getSchedulerName())) {
      spec.setSchedulerName(DEFAULT_SCHEDULER_NAME);
    }
    if (spec.getVolumes() != null) {
      spec.getVolumes().forEach(PodDefaults::volume);
    }
    containers(spec.getInitContainers());
    containers(spec.getContainers());
    for (EphemeralContainer e : EphemeralContainers.of(spec)) {
      Container c = EphemeralContainers.asContainer(e); // SetDefaults_EphemeralContainer
      container(c);
      EphemeralContainers.copyBack(c, e);
    }
  }

  static void containers(List<Container> containers) {
    if (containers != null) {
      containers.forEach(PodDefaults::container);
    }
  }

  /** SetDefaults_Container with its nested types: ports, env field references, probes, lifecycle handlers. */
  public static void container(Container c) {
    if (isEmpty(c.getImagePullPolicy())) {
      c.setImagePullPolicy("latest".equals(imageTag(c.getImage())) ? "Always" : "IfNotPresent");
    }
    if (isEmpty(c.getTerminationMessagePath())) {
      c.setTerminationMessagePath(TERMINATION_MESSAGE_PATH);
    }
    if (isEmpty(c.getTerminationMessagePolicy())) {
      c.setTerminationMessagePolicy("File");
    }
    if (c.getPorts() != null) {
      for (ContainerPort p : c.getPorts()) {
        if (isEmpty(p.getProtocol())) {
          p.setProtocol(TCP);
        }
      }
    }
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        if (e.getValueFrom() != null) {
          fieldSelector(e.getValueFrom().getFieldRef());
        }
      }
    }
    probe(c.getLivenessProbe());
    probe(c.getReadinessProbe());
    probe(c.getStartupProbe());
    Lifecycle lifecycle = c.getLifecycle();
    if (lifecycle != null) {
      handler(lifecycle.getPostStart());
      handler(lifecycle.getPreStop());
    }
  }

  /**
   * The tag parsers.ParseImageName finds: the one named, else {@code latest} unless the image is
   * pinned by digest (then none). {@code busybox} and {@code busybox:latest} are pulled Always.
   */
  static String imageTag(String image) {
    if (isEmpty(image)) {
      return "";
    }
    int at = image.indexOf('@');
    String name = at >= 0 ? image.substring(0, at) : image;
    int colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      return name.substring(colon + 1);
    }
    return at >= 0 ? "" : "latest";
  }

  private static void probe(Probe p) {
    if (p == null) {
      return;
    }
    // Zero counts as unset, as the Go ints do.
    if (p.getTimeoutSeconds() == null || p.getTimeoutSeconds() == 0) {
      p.setTimeoutSeconds(1);
    }
    if (p.getPeriodSeconds() == null || p.getPeriodSeconds() == 0) {
      p.setPeriodSeconds(10);
    }
    if (p.getSuccessThreshold() == null || p.getSuccessThreshold() == 0) {
      p.setSuccessThreshold(1);
    }
    if (p.getFailureThreshold() == null || p.getFailureThreshold() == 0) {
      p.setFailureThreshold(3);
    }
    httpGet(p.getHttpGet());
    if (p.getGrpc() != null && p.getGrpc().getService() == null) {
      p.getGrpc().setService(""); // GRPCAction.service: +default=""
    }
  }

  private static void handler(LifecycleHandler h) {
    if (h != null) {
      httpGet(h.getHttpGet());
    }
  }

  private static void httpGet(HTTPGetAction a) {
    if (a == null) {
      return;
    }
    if (isEmpty(a.getPath())) {
      a.setPath("/");
    }
    if (isEmpty(a.getScheme())) {
      a.setScheme("HTTP");
    }
  }

  private static void fieldSelector(ObjectFieldSelector s) {
    if (s != null && isEmpty(s.getApiVersion())) {
      s.setApiVersion("v1");
    }
  }

  /** SetDefaults_Volume (no source is an emptyDir) and the defaulters of each source. */
  private static void volume(Volume v) {
    if (v.getHostPath() == null && v.getEmptyDir() == null && v.getSecret() == null
        && v.getPersistentVolumeClaim() == null && v.getDownwardAPI() == null && v.getConfigMap() == null
        && v.getProjected() == null) {
      v.setEmptyDir(EmptyDirVolumeSource.newBuilder().build());
    }
    if (v.getHostPath() != null && v.getHostPath().getType() == null) {
      v.getHostPath().setType(""); // HostPathUnset
    }
    if (v.getSecret() != null && v.getSecret().getDefaultMode() == null) {
      v.getSecret().setDefaultMode(DEFAULT_FILE_MODE);
    }
    if (v.getConfigMap() != null && v.getConfigMap().getDefaultMode() == null) {
      v.getConfigMap().setDefaultMode(DEFAULT_FILE_MODE);
    }
    if (v.getDownwardAPI() != null) {
      if (v.getDownwardAPI().getDefaultMode() == null) {
        v.getDownwardAPI().setDefaultMode(DEFAULT_FILE_MODE);
      }
      downwardApiFiles(v.getDownwardAPI().getItems());
    }
    if (v.getProjected() != null) {
      if (v.getProjected().getDefaultMode() == null) {
        v.getProjected().setDefaultMode(DEFAULT_FILE_MODE);
      }
      if (v.getProjected().getSources() != null) {
        for (VolumeProjection source : v.getProjected().getSources()) {
          if (source.getDownwardAPI() != null) {
            downwardApiFiles(source.getDownwardAPI().getItems());
          }
          if (source.getServiceAccountToken() != null && source.getServiceAccountToken().getExpirationSeconds() == null) {
            source.getServiceAccountToken().setExpirationSeconds(TOKEN_EXPIRATION_SECONDS);
          }
        }
      }
    }
  }

  private static void downwardApiFiles(List<DownwardAPIVolumeFile> files) {
    if (files != null) {
      files.forEach(f -> fieldSelector(f.getFieldRef()));
    }
  }

  /** SetDefaults_Pod: a resource with a limit and no request requests its limit. */
  private static void requestsFromLimits(List<Container> containers) {
    if (containers == null) {
      return;
    }
    for (Container c : containers) {
      ResourceRequirements r = c.getResources();
      if (r == null || r.getLimits() == null) {
        continue;
      }
      Map<String, String> requests = r.getRequests() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(r.getRequests());
      r.getLimits().forEach(requests::putIfAbsent);
      if (!requests.isEmpty()) {
        r.setRequests(requests);
      }
    }
  }

  /** With the host network, a container port is also a host port. */
  private static void hostPortsFromContainerPorts(List<Container> containers) {
    if (containers == null) {
      return;
    }
    for (Container c : containers) {
      if (c.getPorts() != null) {
        for (ContainerPort p : c.getPorts()) {
          if (p.getHostPort() == null || p.getHostPort() == 0) {
            p.setHostPort(p.getContainerPort());
          }
        }
      }
    }
  }
}
