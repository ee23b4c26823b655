package io.capstan.logschema.validation;

import io.capstan.logschema.images.ImageReference;
import static io.capstan.logschema.json.FieldPath.field;
import static io.capstan.logschema.json.FieldPath.index;
import static io.capstan.logschema.validation.FieldErrors.isEmpty;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.Affinity;
import io.capstan.api.Container;
import io.capstan.api.ContainerPort;
import io.capstan.api.EnvVar;
import io.capstan.api.EnvVarSource;
import io.capstan.api.EphemeralContainer;
import io.capstan.api.HTTPGetAction;
import io.capstan.api.KeyToPath;
import io.capstan.api.LifecycleHandler;
import io.capstan.api.NodeSelectorRequirement;
import io.capstan.api.NodeSelectorTerm;
import io.capstan.api.PodAffinityTerm;
import io.capstan.api.PodSpec;
import io.capstan.api.PreferredSchedulingTerm;
import io.capstan.api.Probe;
import io.capstan.api.ResourceRequirements;
import io.capstan.api.Toleration;
import io.capstan.api.TopologySpreadConstraint;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.api.WeightedPodAffinityTerm;
import io.capstan.logschema.pods.EphemeralContainers;
import io.capstan.logschema.resource.Quantity;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/** PodSpec validation as Kubernetes' ValidatePodSpec: containers, volumes, scheduling constraints. */
final class PodSpecRules {
  static final List<String> RESTART_POLICIES = List.of("Always", "OnFailure", "Never");
  static final List<String> PROTOCOLS = List.of("TCP", "UDP", "SCTP");
  private static final List<String> PULL_POLICIES = List.of("Always", "Never", "IfNotPresent");
  private static final List<String> DNS_POLICIES = List.of("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None");
  private static final List<String> TERMINATION_MESSAGE_POLICIES = List.of("File", "FallbackToLogsOnError");
  private static final List<String> PREEMPTION_POLICIES = List.of("PreemptLowerPriority", "Never");
  private static final List<String> TAINT_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute");
  private static final List<String> TOLERATION_OPERATORS = List.of("Exists", "Equal");
  private static final List<String> NODE_SELECTOR_OPERATORS = List.of("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt");
  private static final List<String> WHEN_UNSATISFIABLE = List.of("DoNotSchedule", "ScheduleAnyway");
  private static final List<String> INCLUSION_POLICIES = List.of("Ignore", "Honor");
  private static final List<String> URI_SCHEMES = List.of("HTTP", "HTTPS");

  private PodSpecRules() {}

  static void check(String path, PodSpec spec, FieldErrors errors) {
    Set<String> volumeNames = checkVolumes(field(path, "volumes"), orEmpty(spec.getVolumes()), errors);
    Set<String> containerNames = new HashSet<>();
    List<Container> inits = orEmpty(spec.getInitContainers());
    for (int i = 0; i < inits.size(); i++) {
      checkContainer(index(field(path, "initContainers"), i), inits.get(i), true, volumeNames, containerNames, errors);
    }
    List<Container> containers = orEmpty(spec.getContainers());
    for (int i = 0; i < containers.size(); i++) {
      checkContainer(index(field(path, "containers"), i), containers.get(i), false, volumeNames, containerNames,
          errors);
    }
    Set<String> podContainerNames = Set.copyOf(containerNames);
    List<EphemeralContainer> ephemeral = EphemeralContainers.of(spec);
    for (int i = 0; i < ephemeral.size(); i++) {
      checkEphemeralContainer(index(field(path, "ephemeralContainers"), i), ephemeral.get(i), podContainerNames,
          volumeNames, containerNames, errors);
    }
    errors.oneOf(field(path, "restartPolicy"), spec.getRestartPolicy(), RESTART_POLICIES);
    errors.oneOf(field(path, "dnsPolicy"), spec.getDnsPolicy(), DNS_POLICIES);
    PodDnsRules.check(path, spec, errors);
    errors.oneOf(field(path, "preemptionPolicy"), spec.getPreemptionPolicy(), PREEMPTION_POLICIES);
    errors.nonNegative(field(path, "terminationGracePeriodSeconds"), spec.getTerminationGracePeriodSeconds());
    errors.positive(field(path, "activeDeadlineSeconds"), spec.getActiveDeadlineSeconds());
    MetadataRules.checkLabels(field(path, "nodeSelector"), spec.getNodeSelector(), errors);
    errors.name(field(path, "hostname"), spec.getHostname(), Names::dns1123Label);
    errors.name(field(path, "subdomain"), spec.getSubdomain(), Names::dns1123Label);
    errors.name(field(path, "serviceAccountName"), spec.getServiceAccountName(), Names::dns1123Subdomain);
    errors.name(field(path, "priorityClassName"), spec.getPriorityClassName(), Names::dns1123Subdomain);
    errors.name(field(path, "nodeName"), spec.getNodeName(), Names::dns1123Subdomain);
    for (int i = 0; i < orEmpty(spec.getImagePullSecrets()).size(); i++) {
      if (isEmpty(spec.getImagePullSecrets().get(i).getName())) {
        errors.add(FieldError.required(field(index(field(path, "imagePullSecrets"), i), "name")));
      }
    }
    resourceList(field(path, "overhead"), spec.getOverhead(), errors);
    checkTolerations(field(path, "tolerations"), orEmpty(spec.getTolerations()), errors);
    checkAffinity(field(path, "affinity"), spec.getAffinity(), errors);
    checkTopologySpread(field(path, "topologySpreadConstraints"), orEmpty(spec.getTopologySpreadConstraints()),
        errors);
  }

  // ---- containers ----

  private static void checkContainer(String path, Container c, boolean init, Set<String> volumeNames,
      Set<String> containerNames, FieldErrors errors) {
    String namePath = field(path, "name");
    if (!isEmpty(c.getName())) {
      errors.name(namePath, c.getName(), Names::dns1123Label);
      if (!containerNames.add(c.getName())) {
        errors.add(FieldError.duplicate(namePath, c.getName()));
      }
    }
    // The image is optional in the schema (workload templates may fill it later) but required to run.
    if (isEmpty(c.getImage())) {
      errors.add(FieldError.required(field(path, "image")));
    } else {
      // Refused here rather than left to the node (kubelet's InvalidImageName): nothing could ever pull it.
      try {
        ImageReference.parse(c.getImage());
      } catch (IllegalArgumentException e) {
        errors.add(FieldError.invalid(field(path, "image"), c.getImage(), e.getMessage()));
      }
    }
    errors.oneOf(field(path, "imagePullPolicy"), c.getImagePullPolicy(), PULL_POLICIES);
    errors.oneOf(field(path, "terminationMessagePolicy"), c.getTerminationMessagePolicy(),
        TERMINATION_MESSAGE_POLICIES);
    if (init) {
      // Only Always is allowed: it turns an init container into a sidecar (KEP-753).
      errors.oneOf(field(path, "restartPolicy"), c.getRestartPolicy(), List.of("Always"));
    } else if (c.getRestartPolicy() != null) {
      errors.add(FieldError.forbidden(field(path, "restartPolicy"), "may not be set for non-init containers"));
    }
    checkPorts(field(path, "ports"), orEmpty(c.getPorts()), errors);
    checkEnv(field(path, "env"), orEmpty(c.getEnv()), errors);
    checkVolumeMounts(field(path, "volumeMounts"), orEmpty(c.getVolumeMounts()), volumeNames, errors);
    checkResources(field(path, "resources"), c.getResources(), errors);
    boolean sidecar = init && "Always".equals(c.getRestartPolicy());
    if (init && !sidecar) {
      // Plain init containers run to completion: kubelet never probes them.
      forbidProbe(field(path, "livenessProbe"), c.getLivenessProbe(), errors);
      forbidProbe(field(path, "readinessProbe"), c.getReadinessProbe(), errors);
      forbidProbe(field(path, "startupProbe"), c.getStartupProbe(), errors);
    } else {
      checkProbe(field(path, "livenessProbe"), c.getLivenessProbe(), true, errors);
      checkProbe(field(path, "readinessProbe"), c.getReadinessProbe(), false, errors);
      checkProbe(field(path, "startupProbe"), c.getStartupProbe(), true, errors);
    }
    if (c.getLifecycle() != null) {
      checkHandler(field(field(path, "lifecycle"), "postStart"), c.getLifecycle().getPostStart(), errors);
      checkHandler(field(field(path, "lifecycle"), "preStop"), c.getLifecycle().getPreStop(), errors);
    }
    if (c.getSecurityContext() != null) {
      errors.nonNegative(field(field(path, "securityContext"), "runAsUser"), c.getSecurityContext().getRunAsUser());
      errors.nonNegative(field(field(path, "securityContext"), "runAsGroup"), c.getSecurityContext().getRunAsGroup());
    }
  }

  /**
   * As validateEphemeralContainers: a debugging container may not carry what makes a container part
   * of the workload (ports, probes, lifecycle hooks, resources, a restart policy, subPath mounts),
   * must target one of the pod's containers if it names one, and is otherwise a container like the
   * others (unique name, image, environment, mounts).
   */
  private static void checkEphemeralContainer(String path, EphemeralContainer e, Set<String> podContainerNames,
      Set<String> volumeNames, Set<String> containerNames, FieldErrors errors) {
    String notHere = "cannot be set for an Ephemeral Container";
    Container c = EphemeralContainers.asContainer(e);
    if (!orEmpty(c.getPorts()).isEmpty()) {
      errors.add(FieldError.forbidden(field(path, "ports"), notHere));
    }
    ResourceRequirements r = c.getResources();
    if (r != null && (!orEmpty(r.getLimits()).isEmpty() || !orEmpty(r.getRequests()).isEmpty()
        || !orEmpty(r.getClaims()).isEmpty())) {
      errors.add(FieldError.forbidden(field(path, "resources"), notHere));
    }
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe", "lifecycle")) {
      if (c.get(probe) != null) {
        errors.add(FieldError.forbidden(field(path, probe), notHere));
      }
    }
    if (c.getRestartPolicy() != null) {
      errors.add(FieldError.forbidden(field(path, "restartPolicy"), notHere));
    }
    List<VolumeMount> mounts = orEmpty(c.getVolumeMounts());
    for (int i = 0; i < mounts.size(); i++) {
      if (!isEmpty(mounts.get(i).getSubPath())) {
        errors.add(FieldError.forbidden(field(index(field(path, "volumeMounts"), i), "subPath"), notHere));
      }
      if (!isEmpty(mounts.get(i).getSubPathExpr())) {
        errors.add(FieldError.forbidden(field(index(field(path, "volumeMounts"), i), "subPathExpr"), notHere));
      }
    }
    if (!isEmpty(e.getTargetContainerName()) && !podContainerNames.contains(e.getTargetContainerName())) {
      errors.add(FieldError.notFound(field(path, "targetContainerName"), e.getTargetContainerName()));
    }
    // What is forbidden is reported once, above; the rest is checked as for any container.
    c.setPorts(null);
    c.setResources(null);
    c.setLivenessProbe(null);
    c.setReadinessProbe(null);
    c.setStartupProbe(null);
    c.setLifecycle(null);
    c.setRestartPolicy(null);
    checkContainer(path, c, false, volumeNames, containerNames, errors);
  }

  private static void checkPorts(String path, List<ContainerPort> ports, FieldErrors errors) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      ContainerPort p = ports.get(i);
      String pp = index(path, i);
      errors.port(field(pp, "containerPort"), p.getContainerPort());
      // 0 means "no host port", as in Kubernetes.
      if (p.getHostPort() != null && p.getHostPort() != 0) {
        errors.port(field(pp, "hostPort"), p.getHostPort());
      }
      errors.oneOf(field(pp, "protocol"), p.getProtocol(), PROTOCOLS);
      if (p.getName() != null) {
        errors.name(field(pp, "name"), p.getName(), Names::ianaServiceName);
        if (!names.add(p.getName())) {
          errors.add(FieldError.duplicate(field(pp, "name"), p.getName()));
        }
      }
    }
  }

  private static void checkEnv(String path, List<EnvVar> env, FieldErrors errors) {
    for (int i = 0; i < env.size(); i++) {
      EnvVar e = env.get(i);
      String ep = index(path, i);
      if (!isEmpty(e.getName()) && e.getName().indexOf('=') >= 0) {
        errors.add(FieldError.invalid(field(ep, "name"), e.getName(), "a valid environment variable name must "
            + "consist only of printable ASCII characters other than '='"));
      }
      EnvVarSource from = e.getValueFrom();
      if (from != null) {
        long sources = Stream.of(from.getFieldRef(), from.getResourceFieldRef(), from.getConfigMapKeyRef(),
            from.getSecretKeyRef()).filter(Objects::nonNull).count();
        if (sources == 0) {
          errors.add(FieldError.invalid(field(ep, "valueFrom"), "", "must specify one of: `fieldRef`, "
              + "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
        } else if (sources > 1) {
          errors.add(FieldError.invalid(field(ep, "valueFrom"), "", "may not have more than one field specified at "
              + "a time"));
        }
        if (!isEmpty(e.getValue())) {
          errors.add(FieldError.invalid(field(ep, "valueFrom"), "", "may not be specified when `value` is not empty"));
        }
      }
    }
  }

  private static void checkVolumeMounts(String path, List<VolumeMount> mounts, Set<String> volumeNames,
      FieldErrors errors) {
    Set<String> mountPaths = new HashSet<>();
    for (int i = 0; i < mounts.size(); i++) {
      VolumeMount m = mounts.get(i);
      String mp = index(path, i);
      if (!isEmpty(m.getName()) && !volumeNames.contains(m.getName())) {
        errors.add(FieldError.notFound(field(mp, "name"), m.getName()));
      }
      if (!isEmpty(m.getMountPath()) && !mountPaths.add(m.getMountPath())) {
        errors.add(FieldError.invalid(field(mp, "mountPath"), m.getMountPath(), "must be unique"));
      }
      if (m.getSubPath() != null) {
        checkRelativePath(field(mp, "subPath"), m.getSubPath(), errors);
      }
    }
  }

  /** Requests and limits are quantities; a request may not exceed its limit. */
  private static void checkResources(String path, ResourceRequirements r, FieldErrors errors) {
    if (r == null) {
      return;
    }
    resourceList(field(path, "limits"), r.getLimits(), errors);
    resourceList(field(path, "requests"), r.getRequests(), errors);
    Map<String, String> limits = orEmpty(r.getLimits());
    for (Map.Entry<String, String> req : orEmpty(r.getRequests()).entrySet()) {
      Quantity request = FieldErrors.parseQuietly(req.getValue());
      Quantity limit = FieldErrors.parseQuietly(limits.get(req.getKey()));
      if (request != null && limit != null && request.compareTo(limit) > 0) {
        errors.add(FieldError.invalid(io.capstan.logschema.json.FieldPath.key(field(path, "requests"), req.getKey()),
            req.getValue(), "must be less than or equal to " + req.getKey() + " limit of " + limits.get(req.getKey())));
      }
    }
  }

  private static void resourceList(String path, Map<String, String> resources, FieldErrors errors) {
    errors.resourceList(path, resources);
  }

  private static void forbidProbe(String path, Probe probe, FieldErrors errors) {
    if (probe != null) {
      errors.add(FieldError.forbidden(path, "may not be set for init containers without restartPolicy=Always"));
    }
  }

  private static void checkProbe(String path, Probe p, boolean successMustBeOne, FieldErrors errors) {
    if (p == null) {
      return;
    }
    int handlers = (p.getExec() != null ? 1 : 0) + (p.getHttpGet() != null ? 1 : 0)
        + (p.getTcpSocket() != null ? 1 : 0) + (p.getGrpc() != null ? 1 : 0);
    handlerCount(path, handlers, errors);
    checkHttpGet(field(path, "httpGet"), p.getHttpGet(), errors);
    if (p.getTcpSocket() != null) {
      errors.portNumberOrName(field(field(path, "tcpSocket"), "port"), p.getTcpSocket().getPort());
    }
    if (p.getGrpc() != null) {
      errors.port(field(field(path, "grpc"), "port"), p.getGrpc().getPort());
    }
    errors.nonNegative(field(path, "initialDelaySeconds"), p.getInitialDelaySeconds());
    errors.nonNegative(field(path, "timeoutSeconds"), p.getTimeoutSeconds());
    errors.nonNegative(field(path, "periodSeconds"), p.getPeriodSeconds());
    errors.nonNegative(field(path, "successThreshold"), p.getSuccessThreshold());
    errors.nonNegative(field(path, "failureThreshold"), p.getFailureThreshold());
    errors.positive(field(path, "terminationGracePeriodSeconds"), p.getTerminationGracePeriodSeconds());
    if (successMustBeOne && p.getSuccessThreshold() != null && p.getSuccessThreshold() != 1) {
      errors.add(FieldError.invalid(field(path, "successThreshold"), p.getSuccessThreshold(), "must be 1"));
    }
  }

  private static void checkHandler(String path, LifecycleHandler h, FieldErrors errors) {
    if (h == null) {
      return;
    }
    int handlers = (h.getExec() != null ? 1 : 0) + (h.getHttpGet() != null ? 1 : 0)
        + (h.getTcpSocket() != null ? 1 : 0) + (h.getSleep() != null ? 1 : 0);
    handlerCount(path, handlers, errors);
    checkHttpGet(field(path, "httpGet"), h.getHttpGet(), errors);
    if (h.getTcpSocket() != null) {
      errors.portNumberOrName(field(field(path, "tcpSocket"), "port"), h.getTcpSocket().getPort());
    }
    if (h.getSleep() != null) {
      errors.nonNegative(field(field(path, "sleep"), "seconds"), h.getSleep().getSeconds());
    }
  }

  private static void handlerCount(String path, int handlers, FieldErrors errors) {
    if (handlers == 0) {
      errors.add(FieldError.required(path, "must specify a handler type"));
    } else if (handlers > 1) {
      errors.add(FieldError.forbidden(path, "may not specify more than 1 handler type"));
    }
  }

  private static void checkHttpGet(String path, HTTPGetAction get, FieldErrors errors) {
    if (get == null) {
      return;
    }
    errors.portNumberOrName(field(path, "port"), get.getPort());
    errors.oneOf(field(path, "scheme"), get.getScheme(), URI_SCHEMES);
  }

  // ---- volumes ----

  private static Set<String> checkVolumes(String path, List<Volume> volumes, FieldErrors errors) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < volumes.size(); i++) {
      Volume v = volumes.get(i);
      String vp = index(path, i);
      if (!isEmpty(v.getName())) {
        errors.name(field(vp, "name"), v.getName(), Names::dns1123Label);
        if (!names.add(v.getName())) {
          errors.add(FieldError.duplicate(field(vp, "name"), v.getName()));
        }
      }
      long sources = Stream.of(v.getHostPath(), v.getEmptyDir(), v.getSecret(), v.getPersistentVolumeClaim(),
          v.getDownwardAPI(), v.getConfigMap(), v.getProjected()).filter(Objects::nonNull).count();
      if (sources == 0) {
        errors.add(FieldError.required(vp, "must specify a volume type"));
      } else if (sources > 1) {
        errors.add(FieldError.forbidden(vp, "may not specify more than 1 volume type"));
      }
      if (v.getSecret() != null) {
        checkItems(field(field(vp, "secret"), "items"), orEmpty(v.getSecret().getItems()), errors);
        checkMode(field(field(vp, "secret"), "defaultMode"), v.getSecret().getDefaultMode(), errors);
      }
      if (v.getConfigMap() != null) {
        checkItems(field(field(vp, "configMap"), "items"), orEmpty(v.getConfigMap().getItems()), errors);
        checkMode(field(field(vp, "configMap"), "defaultMode"), v.getConfigMap().getDefaultMode(), errors);
      }
      if (v.getHostPath() != null) {
        errors.oneOf(field(field(vp, "hostPath"), "type"), v.getHostPath().getType(), List.of("",
            "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"));
      }
      if (v.getEmptyDir() != null) {
        errors.oneOf(field(field(vp, "emptyDir"), "medium"), v.getEmptyDir().getMedium(),
            List.of("", "Memory", "HugePages"));
      }
    }
    return names;
  }

  private static void checkItems(String path, List<KeyToPath> items, FieldErrors errors) {
    for (int i = 0; i < items.size(); i++) {
      KeyToPath item = items.get(i);
      if (!isEmpty(item.getPath())) {
        checkRelativePath(field(index(path, i), "path"), item.getPath(), errors);
      }
      checkMode(field(index(path, i), "mode"), item.getMode(), errors);
    }
  }

  /** File modes are 0000 to 0777 (octal): at most 511 in JSON's decimal. */
  private static void checkMode(String path, Integer mode, FieldErrors errors) {
    if (mode != null && (mode < 0 || mode > 0777)) {
      errors.add(FieldError.invalid(path, mode, "must be a number between 0 and 0777 (octal), both inclusive"));
    }
  }

  /** A path inside a volume: relative and never escaping it with "..". */
  private static void checkRelativePath(String path, String value, FieldErrors errors) {
    if (value.startsWith("/")) {
      errors.add(FieldError.invalid(path, value, "must be a relative path"));
    }
    for (String part : value.split("/")) {
      if (part.equals("..")) {
        errors.add(FieldError.invalid(path, value, "must not contain '..'"));
        break;
      }
    }
  }

  // ---- scheduling ----

  private static void checkTolerations(String path, List<Toleration> tolerations, FieldErrors errors) {
    for (int i = 0; i < tolerations.size(); i++) {
      Toleration t = tolerations.get(i);
      String tp = index(path, i);
      if (!isEmpty(t.getKey())) {
        errors.name(field(tp, "key"), t.getKey(), Names::qualifiedName);
      } else if (t.getOperator() != null && !"Exists".equals(t.getOperator())) {
        errors.add(FieldError.invalid(field(tp, "operator"), t.getOperator(),
            "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
      }
      errors.oneOf(field(tp, "operator"), t.getOperator(), TOLERATION_OPERATORS);
      if ("Exists".equals(t.getOperator()) && !isEmpty(t.getValue())) {
        errors.add(FieldError.invalid(field(tp, "operator"), t.getValue(),
            "value must be empty when `operator` is 'Exists'"));
      }
      if (t.getEffect() != null && !t.getEffect().isEmpty()) {
        errors.oneOf(field(tp, "effect"), t.getEffect(), TAINT_EFFECTS);
      }
      if (t.getTolerationSeconds() != null && !"NoExecute".equals(t.getEffect())) {
        errors.add(FieldError.invalid(field(tp, "effect"), String.valueOf(t.getEffect()),
            "effect must be 'NoExecute' when `tolerationSeconds` is set"));
      }
    }
  }

  private static void checkAffinity(String path, Affinity a, FieldErrors errors) {
    if (a == null) {
      return;
    }
    if (a.getNodeAffinity() != null) {
      String np = field(path, "nodeAffinity");
      var required = a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
      if (required != null) {
        String rp = field(field(np, "requiredDuringSchedulingIgnoredDuringExecution"), "nodeSelectorTerms");
        for (int i = 0; i < orEmpty(required.getNodeSelectorTerms()).size(); i++) {
          checkNodeSelectorTerm(index(rp, i), required.getNodeSelectorTerms().get(i), errors);
        }
      }
      List<PreferredSchedulingTerm> preferred =
          orEmpty(a.getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution());
      for (int i = 0; i < preferred.size(); i++) {
        String pp = index(field(np, "preferredDuringSchedulingIgnoredDuringExecution"), i);
        checkWeight(field(pp, "weight"), preferred.get(i).getWeight(), errors);
        checkNodeSelectorTerm(field(pp, "preference"), preferred.get(i).getPreference(), errors);
      }
    }
    if (a.getPodAffinity() != null) {
      checkPodAffinityTerms(field(path, "podAffinity"),
          a.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(),
          a.getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), errors);
    }
    if (a.getPodAntiAffinity() != null) {
      checkPodAffinityTerms(field(path, "podAntiAffinity"),
          a.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(),
          a.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), errors);
    }
  }

  static void checkNodeSelectorTerm(String path, NodeSelectorTerm term, FieldErrors errors) {
    if (term == null) {
      return;
    }
    List<NodeSelectorRequirement> exprs = orEmpty(term.getMatchExpressions());
    for (int i = 0; i < exprs.size(); i++) {
      checkNodeSelectorRequirement(index(field(path, "matchExpressions"), i), exprs.get(i), errors);
    }
    List<NodeSelectorRequirement> fields = orEmpty(term.getMatchFields());
    for (int i = 0; i < fields.size(); i++) {
      checkNodeSelectorRequirement(index(field(path, "matchFields"), i), fields.get(i), errors);
    }
  }

  private static void checkNodeSelectorRequirement(String path, NodeSelectorRequirement r, FieldErrors errors) {
    errors.name(field(path, "key"), r.getKey(), Names::qualifiedName);
    errors.oneOf(field(path, "operator"), r.getOperator(), NODE_SELECTOR_OPERATORS);
    int values = orEmpty(r.getValues()).size();
    String op = r.getOperator();
    if (("In".equals(op) || "NotIn".equals(op)) && values == 0) {
      errors.add(FieldError.required(field(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (("Exists".equals(op) || "DoesNotExist".equals(op)) && values > 0) {
      errors.add(FieldError.forbidden(field(path, "values"),
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else if (("Gt".equals(op) || "Lt".equals(op)) && values != 1) {
      errors.add(FieldError.required(field(path, "values"), "must be specified single value when `operator` is 'Lt' "
          + "or 'Gt'"));
    }
  }

  private static void checkPodAffinityTerms(String path, List<PodAffinityTerm> required,
      List<WeightedPodAffinityTerm> preferred, FieldErrors errors) {
    for (int i = 0; i < orEmpty(required).size(); i++) {
      checkPodAffinityTerm(index(field(path, "requiredDuringSchedulingIgnoredDuringExecution"), i),
          required.get(i), errors);
    }
    for (int i = 0; i < orEmpty(preferred).size(); i++) {
      String pp = index(field(path, "preferredDuringSchedulingIgnoredDuringExecution"), i);
      checkWeight(field(pp, "weight"), preferred.get(i).getWeight(), errors);
      checkPodAffinityTerm(field(pp, "podAffinityTerm"), preferred.get(i).getPodAffinityTerm(), errors);
    }
  }

  private static void checkPodAffinityTerm(String path, PodAffinityTerm term, FieldErrors errors) {
    if (term == null) {
      return;
    }
    if (!isEmpty(term.getTopologyKey())) {
      errors.name(field(path, "topologyKey"), term.getTopologyKey(), Names::qualifiedName);
    }
    MetadataRules.checkLabelSelector(field(path, "labelSelector"), term.getLabelSelector(), errors);
    MetadataRules.checkLabelSelector(field(path, "namespaceSelector"), term.getNamespaceSelector(), errors);
    List<String> namespaces = orEmpty(term.getNamespaces());
    for (int i = 0; i < namespaces.size(); i++) {
      errors.name(index(field(path, "namespaces"), i), namespaces.get(i), Names::dns1123Label);
    }
  }

  private static void checkWeight(String path, int weight, FieldErrors errors) {
    if (weight < 1 || weight > 100) {
      errors.add(FieldError.invalid(path, weight, "must be in the range 1-100"));
    }
  }

  private static void checkTopologySpread(String path, List<TopologySpreadConstraint> constraints,
      FieldErrors errors) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < constraints.size(); i++) {
      TopologySpreadConstraint c = constraints.get(i);
      String cp = index(path, i);
      errors.positive(field(cp, "maxSkew"), c.getMaxSkew());
      if (!isEmpty(c.getTopologyKey())) {
        errors.name(field(cp, "topologyKey"), c.getTopologyKey(), Names::qualifiedName);
      }
      if (!isEmpty(c.getWhenUnsatisfiable())) {
        errors.oneOf(field(cp, "whenUnsatisfiable"), c.getWhenUnsatisfiable(), WHEN_UNSATISFIABLE);
      }
      if (c.getMinDomains() != null) {
        errors.positive(field(cp, "minDomains"), c.getMinDomains());
        if (!"DoNotSchedule".equals(c.getWhenUnsatisfiable())) {
          errors.add(FieldError.invalid(field(cp, "minDomains"), c.getMinDomains(),
              "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not " + c.getWhenUnsatisfiable()));
        }
      }
      errors.oneOf(field(cp, "nodeAffinityPolicy"), c.getNodeAffinityPolicy(), INCLUSION_POLICIES);
      errors.oneOf(field(cp, "nodeTaintsPolicy"), c.getNodeTaintsPolicy(), INCLUSION_POLICIES);
      MetadataRules.checkLabelSelector(field(cp, "labelSelector"), c.getLabelSelector(), errors);
      if (!seen.add(c.getTopologyKey() + "\u0000" + c.getWhenUnsatisfiable())) {
        errors.add(FieldError.duplicate(cp, "{" + c.getTopologyKey() + ", " + c.getWhenUnsatisfiable() + "}"));
      }
    }
  }
}
