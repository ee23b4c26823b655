package io.capstan.gateway.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * The Table columns of the built-in kinds kube-apiserver prints with more than NAME and AGE, as
 * its printers (pkg/printers/internalversion) define them, priority 1 for what {@code -o wide}
 * adds: services, endpoints, endpointslices, nodes, jobs, events, leases, resourcequotas and
 * limitranges, serviceaccounts and poddisruptionbudgets. Each kind's columns and the function that fills a row sit together here.
 * limitranges, serviceaccounts, daemonsets and controllerrevisions. Each kind's columns and the function
 * that fills a row sit together here.
 */
final class KindColumns {
  private static final String NONE = "<none>";
  private static final String UNSET = "<unset>";

  /** One column definition; priority 1 columns show only with {@code -o wide}. */
  record PrinterColumn(String name, String type, String format, String description, int priority) {
    static PrinterColumn of(String name, String description) {
      return new PrinterColumn(name, "string", "", description, 0);
    }

    static PrinterColumn wide(String name, String description) {
      return new PrinterColumn(name, "string", "", description, 1);
    }
  }

  /** A kind's columns and how a row's cells come from the object's JSON (at this instant). */
  record Printer(List<PrinterColumn> columns, BiFunction<JsonNode, Instant, List<Object>> cells) {}

  private static final PrinterColumn NAME = new PrinterColumn("Name", "string", "name",
      "Name must be unique within a namespace.", 0);
  private static final PrinterColumn AGE = PrinterColumn.of("Age",
      "CreationTimestamp is a timestamp representing the server time when this object was created.");

  private static final Map<Kind, Printer> PRINTERS = Map.of(
      Kinds.SERVICE, new Printer(List.of(NAME, PrinterColumn.of("Type", "The type of the service."),
          PrinterColumn.of("Cluster-IP", "The cluster IP of the service."),
          PrinterColumn.of("External-IP", "The external IP of the service."),
          PrinterColumn.of("Port(s)", "The ports of the service."), AGE,
          PrinterColumn.wide("Selector", "The label selector of the service.")), KindColumns::service),
      Kinds.ENDPOINTS, new Printer(List.of(NAME, PrinterColumn.of("Endpoints", "Endpoints of the service."), AGE),
          KindColumns::endpoints),
      Kinds.ENDPOINT_SLICE, new Printer(List.of(NAME, PrinterColumn.of("AddressType", "Type of address."),
          PrinterColumn.of("Ports", "Ports of the endpoint slice."),
          PrinterColumn.of("Endpoints", "Endpoints of the endpoint slice."), AGE), KindColumns::endpointSlice),
      Kinds.NODE, new Printer(List.of(NAME, PrinterColumn.of("Status", "The status of the node."),
          PrinterColumn.of("Roles", "The roles of the node."), AGE,
          PrinterColumn.of("Version", "Kubelet Version reported by the node."),
          PrinterColumn.wide("Internal-IP", "List of internal IPs."),
          PrinterColumn.wide("External-IP", "List of external IPs."),
          PrinterColumn.wide("OS-Image", "OS image reported by the node from /etc/os-release."),
          PrinterColumn.wide("Kernel-Version", "Kernel version reported by the node."),
          PrinterColumn.wide("Container-Runtime", "Container runtime reported by the node.")), KindColumns::node),
      Kinds.JOB, new Printer(List.of(NAME, PrinterColumn.of("Status", "Status of the job."),
          PrinterColumn.of("Completions", "The completion status of the job."),
          PrinterColumn.of("Duration", "Time required to complete the job."), AGE,
          PrinterColumn.wide("Containers", "Names of each container in the template."),
          PrinterColumn.wide("Images", "Images referenced by each container in the template."),
          PrinterColumn.wide("Selector", "Selector for the pods.")), KindColumns::job),
      Kinds.EVENT, new Printer(List.of(PrinterColumn.of("Last Seen", "Time since the event was last seen."),
          PrinterColumn.of("Type", "Type of this event."), PrinterColumn.of("Reason", "Short, machine understandable string."),
          PrinterColumn.of("Object", "The object this event is about."),
          PrinterColumn.wide("Subobject", "The part of the object this event is about."),
          PrinterColumn.wide("Source", "The component reporting this event."),
          PrinterColumn.of("Message", "A human-readable description of the status of this operation."),
          PrinterColumn.wide("First Seen", "Time since the event was first seen."),
          PrinterColumn.wide("Count", "The number of times this event has occurred."),
          new PrinterColumn("Name", "string", "name", "Name must be unique within a namespace.", 1)), KindColumns::event),
      Kinds.LEASE, new Printer(List.of(NAME, PrinterColumn.of("Holder", "The holder of the lease."), AGE),
          (o, now) -> List.of(o.path("spec").path("holderIdentity").asText(""))),
      Kinds.RESOURCE_QUOTA, new Printer(List.of(NAME, AGE,
          PrinterColumn.of("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
          PrinterColumn.of("Limit", "Limits control the maximum amount of cpu/memory that a container may use"
              + " independent of contention on the node.")), KindColumns::resourceQuota),
      Kinds.LIMIT_RANGE, new Printer(List.of(NAME, new PrinterColumn("Created At", "date", "",
          "CreationTimestamp is a timestamp representing the server time when this object was created.", 0)),
          (o, now) -> List.of(o.path("metadata").path("creationTimestamp").asText(""))),
      Kinds.SERVICE_ACCOUNT, new Printer(List.of(NAME, new PrinterColumn("Secrets", "integer", "",
          "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are"
              + " allowed to use.", 0), AGE), (o, now) -> List.of(o.path("secrets").size())));

  /** kubectl's RBAC columns (printers.go addRoles / addRoleBindings / addClusterRole...). */
  private static final PrinterColumn CREATED_AT = new PrinterColumn("Created At", "date", "",
      "CreationTimestamp is a timestamp representing the server time when this object was created.", 0);
  private static final List<PrinterColumn> BINDING_COLUMNS = List.of(NAME,
      PrinterColumn.of("Role", "Role of the binding."), AGE, PrinterColumn.wide("Users", "Users in the binding."),
      PrinterColumn.wide("Groups", "Groups in the binding."),
      PrinterColumn.wide("ServiceAccounts", "ServiceAccounts in the binding."));
  private static final Map<Kind, Printer> RBAC_PRINTERS = Map.of(
      Kinds.ROLE, new Printer(List.of(NAME, CREATED_AT),
          (o, now) -> List.of(o.path("metadata").path("creationTimestamp").asText(""))),
      Kinds.CLUSTER_ROLE, new Printer(List.of(NAME, CREATED_AT),
          (o, now) -> List.of(o.path("metadata").path("creationTimestamp").asText(""))),
      Kinds.ROLE_BINDING, new Printer(BINDING_COLUMNS, KindColumns::binding),
      Kinds.CLUSTER_ROLE_BINDING, new Printer(BINDING_COLUMNS, KindColumns::binding));

  /** policy/v1 (printers.go printPodDisruptionBudget): "N/A" for the bound a budget does not set. */
  private static final Map<Kind, Printer> POLICY_PRINTERS = Map.of(
      Kinds.POD_DISRUPTION_BUDGET, new Printer(List.of(NAME,
          PrinterColumn.of("Min Available", "The minimum number of pods that must be available."),
          PrinterColumn.of("Max Unavailable", "The maximum number of pods that may be unavailable."),
          new PrinterColumn("Allowed Disruptions", "integer", "",
              "Calculated number of pods that may be disrupted at this time.", 0), AGE),
          (o, now) -> List.of(o.path("spec").path("minAvailable").asText("N/A"),
              o.path("spec").path("maxUnavailable").asText("N/A"),
              o.path("status").path("disruptionsAllowed").asInt(0))));
  /** kubectl's CronJob and PriorityClass columns (printers.go addCronJob... and addPriorityClass...). */
  private static final Map<Kind, Printer> BATCH_AND_SCHEDULING_PRINTERS = Map.of(
      Kinds.CRON_JOB, new Printer(List.of(NAME, PrinterColumn.of("Schedule", "The schedule for running the job."),
          PrinterColumn.of("Timezone", "The time zone the cron job's schedule is read in."),
          new PrinterColumn("Suspend", "boolean", "", "Whether the cron job is suspended.", 0),
          new PrinterColumn("Active", "integer", "", "The number of running jobs of the cron job.", 0),
          PrinterColumn.of("Last Schedule", "When the cron job last started a job."), AGE,
          PrinterColumn.wide("Containers", "Names of each container in the template."),
          PrinterColumn.wide("Images", "Images referenced by each container in the template."),
          PrinterColumn.wide("Selector", "Selector for the jobs.")), KindColumns::cronJob),
      Kinds.PRIORITY_CLASS, new Printer(List.of(NAME, new PrinterColumn("Value", "integer", "",
          "The value of this priority class.", 0),
          new PrinterColumn("Global-Default", "boolean", "", "Whether this priority class is the default.", 0), AGE,
          PrinterColumn.of("PreemptionPolicy", "The preemption policy of this priority class.")),
          (o, now) -> List.of(o.path("value").asLong(0), o.path("globalDefault").asBoolean(false),
              o.path("preemptionPolicy").asText(""))));
  /** printers.go addDaemonSets / addControllerRevisions. */
  private static final Map<Kind, Printer> APPS_PRINTERS = Map.of(
      Kinds.DAEMON_SET, new Printer(List.of(NAME,
          new PrinterColumn("Desired", "integer", "", "The desired number of pods.", 0),
          new PrinterColumn("Current", "integer", "", "The current number of pods.", 0),
          new PrinterColumn("Ready", "integer", "", "The number of pods ready.", 0),
          new PrinterColumn("Up-to-date", "integer", "", "The number of pods updated.", 0),
          new PrinterColumn("Available", "integer", "", "The number of pods available.", 0),
          PrinterColumn.of("Node Selector", "Which nodes should run the pod."), AGE,
          PrinterColumn.wide("Containers", "Names of each container in the template."),
          PrinterColumn.wide("Images", "Images referenced by each container in the template."),
          PrinterColumn.wide("Selector", "Selector for the pods.")), KindColumns::daemonSet),
      Kinds.CONTROLLER_REVISION, new Printer(List.of(NAME,
          PrinterColumn.of("Controller", "Controller of the object."),
          new PrinterColumn("Revision", "integer", "", "Revision of the ControllerRevision.", 0), AGE),
          KindColumns::controllerRevision),
      Kinds.STATEFUL_SET, new Printer(List.of(NAME,
          PrinterColumn.of("Ready", "Number of the pod with ready state"), AGE,
          PrinterColumn.wide("Containers", "Names of each container in the template."),
          PrinterColumn.wide("Images", "Images referenced by each container in the template.")),
          KindColumns::statefulSet));

  /** printers.go addPersistentVolume... and addStorageClass: the storage kinds. */
  private static final Map<Kind, Printer> STORAGE_PRINTERS = Map.of(
      Kinds.PERSISTENT_VOLUME, new Printer(List.of(NAME,
          PrinterColumn.of("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
          PrinterColumn.of("Access Modes", "accessModes contains all ways the volume can be mounted."),
          PrinterColumn.of("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume"
              + " when released from its claim."),
          PrinterColumn.of("Status", "phase indicates if a volume is available, bound to a claim, or released by a"
              + " claim."),
          PrinterColumn.of("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and"
              + " PersistentVolumeClaim."),
          PrinterColumn.of("StorageClass", "StorageClass of the pv"),
          PrinterColumn.of("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
          PrinterColumn.of("Reason", "reason is a brief CamelCase string that describes any failure."), AGE,
          PrinterColumn.wide("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted"
              + " filesystem or to remain in raw block state.")), KindColumns::persistentVolume),
      Kinds.PERSISTENT_VOLUME_CLAIM, new Printer(List.of(NAME,
          PrinterColumn.of("Status", "phase represents the current phase of PersistentVolumeClaim."),
          PrinterColumn.of("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
          PrinterColumn.of("Capacity", "capacity represents the actual resources of the underlying volume."),
          PrinterColumn.of("Access Modes", "accessModes contains the actual access modes the volume backing the PVC"
              + " has."),
          PrinterColumn.of("StorageClass", "StorageClass of the pvc"),
          PrinterColumn.of("VolumeAttributesClass", "VolumeAttributesClass of the pvc"), AGE,
          PrinterColumn.wide("VolumeMode", "volumeMode defines what type of volume is required by the claim.")),
          KindColumns::persistentVolumeClaim),
      Kinds.STORAGE_CLASS, new Printer(List.of(NAME,
          PrinterColumn.of("Provisioner", "provisioner indicates the type of the provisioner."),
          PrinterColumn.of("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned"
              + " PersistentVolumes of this storage class."),
          PrinterColumn.of("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be"
              + " provisioned and bound."),
          PrinterColumn.of("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume"
              + " expand."), AGE), KindColumns::storageClass));

  /** printers.go addHorizontalPodAutoscaler: the target, each metric's current/target, the replica bounds. */
  private static final Map<Kind, Printer> AUTOSCALING_PRINTERS = Map.of(
      Kinds.HORIZONTAL_POD_AUTOSCALER, new Printer(List.of(NAME,
          PrinterColumn.of("Reference", "scaleTargetRef points to the target resource to scale."),
          PrinterColumn.of("Targets", "metrics contains the specifications for which to use to calculate the desired"
              + " replica count."),
          PrinterColumn.of("MinPods", "minReplicas is the lower limit for the number of replicas to which the"
              + " autoscaler can scale down."),
          PrinterColumn.of("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the"
              + " autoscaler can scale up."),
          PrinterColumn.of("Replicas", "currentReplicas is current number of replicas of pods managed by this"
              + " autoscaler, as last seen by the autoscaler."), AGE), KindColumns::horizontalPodAutoscaler));

  private KindColumns() {}

  static boolean covers(Kind kind) {
    return PRINTERS.containsKey(kind) || RBAC_PRINTERS.containsKey(kind) || POLICY_PRINTERS.containsKey(kind)
        || BATCH_AND_SCHEDULING_PRINTERS.containsKey(kind) || APPS_PRINTERS.containsKey(kind)
        || STORAGE_PRINTERS.containsKey(kind) || AUTOSCALING_PRINTERS.containsKey(kind);
  }

  /** DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR, then the wide columns, as printDaemonSet. */
  private static List<Object> daemonSet(JsonNode o, Instant now) {
    JsonNode status = o.path("status");
    JsonNode template = o.path("spec").path("template").path("spec");
    List<String> names = new ArrayList<>();
    List<String> images = new ArrayList<>();
    for (JsonNode c : template.path("containers")) {
      names.add(c.path("name").asText());
      images.add(c.path("image").asText());
    }
    String nodeSelector = selector(template.path("nodeSelector"));
    return List.of(status.path("desiredNumberScheduled").asLong(0), status.path("currentNumberScheduled").asLong(0),
        status.path("numberReady").asLong(0), status.path("updatedNumberScheduled").asLong(0),
        status.path("numberAvailable").asLong(0), nodeSelector, String.join(",", names), String.join(",", images),
        labelSelector(o.path("spec").path("selector")));
  }

  /** READY as {@code ready/desired}, then the wide columns, as printStatefulSet. */
  private static List<Object> statefulSet(JsonNode o, Instant now) {
    List<String> names = new ArrayList<>();
    List<String> images = new ArrayList<>();
    for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
      names.add(c.path("name").asText());
      images.add(c.path("image").asText());
    }
    String ready = o.path("status").path("readyReplicas").asLong(0) + "/" + o.path("spec").path("replicas").asLong(1);
    return List.of(ready, String.join(",", names), String.join(",", images));
  }

  /** CONTROLLER as {@code daemonset.apps/name} (the lower-cased group kind of the controller reference), REVISION. */
  private static List<Object> controllerRevision(JsonNode o, Instant now) {
    String controller = NONE;
    for (JsonNode ref : o.path("metadata").path("ownerReferences")) {
      if (ref.path("controller").asBoolean(false)) {
        String apiVersion = ref.path("apiVersion").asText("");
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String groupKind = ref.path("kind").asText("") + (group.isEmpty() ? "" : "." + group);
        controller = groupKind.toLowerCase(java.util.Locale.ROOT) + "/" + ref.path("name").asText("");
      }
    }
    return List.of(controller, o.path("revision").asLong(0));
  }

  /** metav1.FormatLabelSelector: matchLabels as k=v, expressions as {@code k in (a,b)}, {@code !k}, or {@code <none>}. */
  private static String labelSelector(JsonNode selector) {
    List<String> parts = new ArrayList<>();
    Map<String, String> labels = new TreeMap<>();
    selector.path("matchLabels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    labels.forEach((k, v) -> parts.add(k + "=" + v));
    for (JsonNode r : selector.path("matchExpressions")) {
      List<String> values = new ArrayList<>();
      r.path("values").forEach(v -> values.add(v.asText()));
      values.sort(null);
      String key = r.path("key").asText("");
      switch (r.path("operator").asText("")) {
        case "In" -> parts.add(key + " in (" + String.join(",", values) + ")");
        case "NotIn" -> parts.add(key + " notin (" + String.join(",", values) + ")");
        case "Exists" -> parts.add(key);
        case "DoesNotExist" -> parts.add("!" + key);
        default -> { }
      }
    }
    return parts.isEmpty() ? NONE : String.join(",", parts);
  }

  /** ROLE as kubectl shows it ({@code ClusterRole/view}), then users, groups and service accounts ({@code ns/name}). */
  private static List<Object> binding(JsonNode o, Instant now) {
    JsonNode ref = o.path("roleRef");
    List<String> users = new ArrayList<>();
    List<String> groups = new ArrayList<>();
    List<String> accounts = new ArrayList<>();
    for (JsonNode s : o.path("subjects")) {
      switch (s.path("kind").asText("")) {
        case "User" -> users.add(s.path("name").asText(""));
        case "Group" -> groups.add(s.path("name").asText(""));
        case "ServiceAccount" -> accounts.add(s.path("namespace").asText("") + "/" + s.path("name").asText(""));
        default -> { }
      }
    }
    return List.of(ref.path("kind").asText("") + "/" + ref.path("name").asText(""), String.join(", ", users),
        String.join(", ", groups), String.join(", ", accounts));
  }

  /** The Table of these objects; {@link TableRenderer#render} for the kinds {@link #covers} names. */
  static ObjectNode render(Kind kind, List<? extends JsonNode> objects, String resourceVersion, String continueToken,
      Instant now) {
    Printer printer = PRINTERS.containsKey(kind) ? PRINTERS.get(kind)
        : RBAC_PRINTERS.containsKey(kind) ? RBAC_PRINTERS.get(kind)
        : POLICY_PRINTERS.containsKey(kind) ? POLICY_PRINTERS.get(kind)
        : BATCH_AND_SCHEDULING_PRINTERS.containsKey(kind) ? BATCH_AND_SCHEDULING_PRINTERS.get(kind)
        : STORAGE_PRINTERS.containsKey(kind) ? STORAGE_PRINTERS.get(kind)
        : AUTOSCALING_PRINTERS.containsKey(kind) ? AUTOSCALING_PRINTERS.get(kind) : APPS_PRINTERS.get(kind);
    ObjectNode table = TableRenderer.table(resourceVersion, continueToken);
    ArrayNode defs = table.putArray("columnDefinitions");
    for (PrinterColumn c : printer.columns()) {
      defs.addObject().put("name", c.name()).put("type", c.type()).put("format", c.format())
          .put("description", c.description()).put("priority", c.priority());
    }
    ArrayNode rows = table.putArray("rows");
    for (JsonNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      List<Object> values = new ArrayList<>();
      if (printer.columns().get(0) == NAME) {
        String name = o.path("metadata").path("name").asText();
        if (kind.equals(Kinds.STORAGE_CLASS) && "true".equals(o.path("metadata").path("annotations")
            .path("storageclass.kubernetes.io/is-default-class").asText(""))) {
          name += " (default)"; // printStorageClass
        }
        values.add(name);
      }
      values.addAll(printer.cells().apply(o, now));
      // AGE sits where the printer puts it: fill it in at its column.
      for (int i = 0; i < printer.columns().size(); i++) {
        if (printer.columns().get(i) == AGE) {
          values.add(i, TableRenderer.age(o.path("metadata").path("creationTimestamp").asText(""), now));
        }
      }
      for (Object v : values) {
        if (v instanceof Number n) {
          cells.add(n.longValue());
        } else {
          cells.add(String.valueOf(v));
        }
      }
      ObjectNode partial = row.putObject("object");
      partial.put("kind", "PartialObjectMetadata");
      partial.put("apiVersion", "meta.k8s.io/v1");
      partial.set("metadata", o.path("metadata").deepCopy());
    }
    return table;
  }

  // ---- services ----

  private static List<Object> service(JsonNode o, Instant now) {
    JsonNode spec = o.path("spec");
    String type = spec.path("type").asText("ClusterIP");
    String clusterIp = spec.path("clusterIP").asText("");
    List<Object> out = new ArrayList<>();
    out.add(type);
    out.add(clusterIp.isEmpty() ? NONE : clusterIp);
    out.add(externalIp(spec, o.path("status"), type));
    out.add(servicePorts(spec.path("ports")));
    out.add(selector(spec.path("selector")));
    return out;
  }

  private static String externalIp(JsonNode spec, JsonNode status, String type) {
    List<String> ips = new ArrayList<>();
    spec.path("externalIPs").forEach(ip -> ips.add(ip.asText()));
    switch (type) {
      case "ExternalName":
        return spec.path("externalName").asText("");
      case "LoadBalancer": {
        List<String> lb = new ArrayList<>();
        for (JsonNode ing : status.path("loadBalancer").path("ingress")) {
          lb.add(ing.hasNonNull("ip") ? ing.get("ip").asText() : ing.path("hostname").asText(""));
        }
        lb.addAll(ips);
        return lb.isEmpty() ? "<pending>" : String.join(",", lb);
      }
      default:
        return ips.isEmpty() ? NONE : String.join(",", ips);
    }
  }

  private static String servicePorts(JsonNode ports) {
    List<String> out = new ArrayList<>();
    for (JsonNode p : ports) {
      String proto = p.path("protocol").asText("TCP");
      out.add(p.path("port").asInt() + (p.path("nodePort").asInt(0) > 0 ? ":" + p.get("nodePort").asInt() : "")
          + "/" + proto);
    }
    return out.isEmpty() ? NONE : String.join(",", out);
  }

  private static String selector(JsonNode selector) {
    Map<String, String> sorted = new TreeMap<>();
    selector.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
    if (sorted.isEmpty()) {
      return NONE;
    }
    List<String> parts = new ArrayList<>();
    sorted.forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(",", parts);
  }

  // ---- endpoints and slices ----

  /** Ready addresses with each port, three at most then {@code + N more...}, as formatEndpoints. */
  private static List<Object> endpoints(JsonNode o, Instant now) {
    List<String> list = new ArrayList<>();
    int count = 0;
    for (JsonNode subset : o.path("subsets")) {
      JsonNode ports = subset.path("ports");
      for (JsonNode a : subset.path("addresses")) {
        if (ports.isEmpty()) {
          count++;
          if (list.size() < 3) {
            list.add(a.path("ip").asText());
          }
          continue;
        }
        for (JsonNode p : ports) {
          count++;
          if (list.size() < 3) {
            list.add(a.path("ip").asText() + ":" + p.path("port").asInt());
          }
        }
      }
    }
    return List.of(moreOf(list, count, NONE));
  }

  private static List<Object> endpointSlice(JsonNode o, Instant now) {
    List<String> ports = new ArrayList<>();
    int portCount = 0;
    for (JsonNode p : o.path("ports")) {
      portCount++;
      if (ports.size() < 3) {
        ports.add(p.hasNonNull("port") ? String.valueOf(p.get("port").asInt()) : UNSET);
      }
    }
    List<String> addresses = new ArrayList<>();
    int addressCount = 0;
    for (JsonNode e : o.path("endpoints")) {
      for (JsonNode a : e.path("addresses")) {
        addressCount++;
        if (addresses.size() < 3) {
          addresses.add(a.asText());
        }
      }
    }
    return List.of(o.path("addressType").asText(""), moreOf(ports, portCount, UNSET),
        moreOf(addresses, addressCount, UNSET));
  }

  private static String moreOf(List<String> shown, int total, String empty) {
    if (total == 0) {
      return empty;
    }
    String s = String.join(",", shown);
    return total > shown.size() ? s + " + " + (total - shown.size()) + " more..." : s;
  }

  // ---- nodes ----

  private static List<Object> node(JsonNode o, Instant now) {
    List<String> status = new ArrayList<>();
    String ready = "Unknown";
    for (JsonNode c : o.path("status").path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        ready = "True".equals(c.path("status").asText()) ? "Ready" : "False".equals(c.path("status").asText())
            ? "NotReady" : "Unknown";
      }
    }
    status.add(ready);
    if (o.path("spec").path("unschedulable").asBoolean(false)) {
      status.add("SchedulingDisabled");
    }
    List<String> roles = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.path("metadata").path("labels").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().startsWith("node-role.kubernetes.io/")) {
        roles.add(e.getKey().substring("node-role.kubernetes.io/".length()));
      } else if (e.getKey().equals("kubernetes.io/role") && !e.getValue().asText().isEmpty()) {
        roles.add(e.getValue().asText());
      }
    }
    roles.sort(null);
    JsonNode info = o.path("status").path("nodeInfo");
    List<Object> out = new ArrayList<>();
    out.add(String.join(",", status));
    out.add(roles.isEmpty() ? NONE : String.join(",", roles));
    out.add(info.path("kubeletVersion").asText(""));
    out.add(address(o, "InternalIP"));
    out.add(address(o, "ExternalIP"));
    out.add(info.path("osImage").asText("<unknown>"));
    out.add(info.path("kernelVersion").asText("<unknown>"));
    out.add(info.path("containerRuntimeVersion").asText("<unknown>"));
    return out;
  }

  private static String address(JsonNode node, String type) {
    for (JsonNode a : node.path("status").path("addresses")) {
      if (type.equals(a.path("type").asText())) {
        return a.path("address").asText();
      }
    }
    return NONE;
  }

  // ---- jobs ----

  private static List<Object> job(JsonNode o, Instant now) {
    JsonNode spec = o.path("spec");
    JsonNode status = o.path("status");
    String state = "Running";
    for (JsonNode c : status.path("conditions")) {
      if (!"True".equals(c.path("status").asText())) {
        continue;
      }
      switch (c.path("type").asText()) {
        case "Complete" -> state = "Complete";
        case "Failed" -> state = "Failed";
        case "FailureTarget" -> state = state.equals("Failed") ? state : "FailureTarget";
        case "SuccessCriteriaMet" -> state = state.equals("Complete") ? state : "SuccessCriteriaMet";
        case "Suspended" -> state = "Suspended";
        default -> { }
      }
    }
    if (spec.path("suspend").asBoolean(false) && state.equals("Running")) {
      state = "Suspended";
    }
    long succeeded = status.path("succeeded").asLong(0);
    String completions;
    if (spec.hasNonNull("completions")) {
      completions = succeeded + "/" + spec.get("completions").asLong();
    } else {
      long parallelism = spec.path("parallelism").asLong(1);
      completions = parallelism > 1 ? succeeded + "/1 of " + parallelism : succeeded + "/1";
    }
    String duration = "";
    Instant start = instant(status.path("startTime").asText(""));
    if (start != null) {
      Instant end = instant(status.path("completionTime").asText(""));
      duration = HumanDuration.format(Duration.between(start, end == null ? now : end));
    }
    List<String> names = new ArrayList<>();
    List<String> images = new ArrayList<>();
    for (JsonNode c : spec.path("template").path("spec").path("containers")) {
      names.add(c.path("name").asText());
      images.add(c.path("image").asText());
    }
    List<String> selector = new ArrayList<>();
    Map<String, String> labels = new TreeMap<>();
    spec.path("selector").path("matchLabels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    labels.forEach((k, v) -> selector.add(k + "=" + v));
    return List.of(state, completions, duration, String.join(",", names), String.join(",", images),
        selector.isEmpty() ? NONE : String.join(",", selector));
  }

  // ---- cronjobs ----

  /** SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE (then -o wide's containers, images, selector). */
  private static List<Object> cronJob(JsonNode o, Instant now) {
    JsonNode spec = o.path("spec");
    JsonNode status = o.path("status");
    String zone = spec.path("timeZone").asText("");
    String suspend = spec.hasNonNull("suspend") ? (spec.get("suspend").asBoolean() ? "True" : "False") : UNSET;
    Instant last = instant(status.path("lastScheduleTime").asText(""));
    List<String> names = new ArrayList<>();
    List<String> images = new ArrayList<>();
    JsonNode jobSpec = spec.path("jobTemplate").path("spec");
    for (JsonNode c : jobSpec.path("template").path("spec").path("containers")) {
      names.add(c.path("name").asText());
      images.add(c.path("image").asText());
    }
    List<String> selector = new ArrayList<>();
    Map<String, String> labels = new TreeMap<>();
    jobSpec.path("selector").path("matchLabels").fields()
        .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    labels.forEach((k, v) -> selector.add(k + "=" + v));
    return List.of(spec.path("schedule").asText(""), zone.isEmpty() ? NONE : zone, suspend,
        status.path("active").size(), last == null ? NONE : HumanDuration.format(Duration.between(last, now)),
        String.join(",", names), String.join(",", images), selector.isEmpty() ? NONE : String.join(",", selector));
  }

  // ---- storage ----

  /** CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON, as printPersistentVolume. */
  private static List<Object> persistentVolume(JsonNode o, Instant now) {
    JsonNode spec = o.path("spec");
    String claim = "";
    if (spec.hasNonNull("claimRef")) {
      claim = spec.path("claimRef").path("namespace").asText("") + "/" + spec.path("claimRef").path("name").asText("");
    }
    String phase = o.path("metadata").hasNonNull("deletionTimestamp") ? "Terminating"
        : o.path("status").path("phase").asText("");
    return List.of(spec.path("capacity").path("storage").asText(""), accessModes(spec.path("accessModes")),
        spec.path("persistentVolumeReclaimPolicy").asText(""), phase, claim, spec.path("storageClassName").asText(""),
        spec.path("volumeAttributesClassName").asText(UNSET), o.path("status").path("reason").asText(""),
        spec.path("volumeMode").asText(UNSET));
  }

  /** STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS: capacity and modes once bound. */
  private static List<Object> persistentVolumeClaim(JsonNode o, Instant now) {
    JsonNode spec = o.path("spec");
    JsonNode status = o.path("status");
    String phase = o.path("metadata").hasNonNull("deletionTimestamp") ? "Terminating" : status.path("phase").asText("");
    boolean bound = !spec.path("volumeName").asText("").isEmpty();
    return List.of(phase, spec.path("volumeName").asText(""),
        bound ? status.path("capacity").path("storage").asText("") : "",
        bound ? accessModes(status.path("accessModes")) : "", spec.path("storageClassName").asText(""),
        spec.path("volumeAttributesClassName").asText(UNSET), spec.path("volumeMode").asText(UNSET));
  }

  /** PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION (the name marked "(default)" in render). */
  private static List<Object> storageClass(JsonNode o, Instant now) {
    return List.of(o.path("provisioner").asText(""), o.path("reclaimPolicy").asText("Delete"),
        o.path("volumeBindingMode").asText("Immediate"), String.valueOf(o.path("allowVolumeExpansion").asBoolean(false)));
  }

  /** REFERENCE TARGETS MINPODS MAXPODS REPLICAS, as printHorizontalPodAutoscaler and formatHPAMetrics. */
  private static List<Object> horizontalPodAutoscaler(JsonNode o, Instant now) {
    JsonNode spec = o.path("spec");
    JsonNode ref = spec.path("scaleTargetRef");
    return List.of(ref.path("kind").asText("") + "/" + ref.path("name").asText(""),
        hpaTargets(spec.path("metrics"), o.path("status").path("currentMetrics")),
        spec.has("minReplicas") ? spec.path("minReplicas").asText() : UNSET, spec.path("maxReplicas").asLong(0),
        o.path("status").path("currentReplicas").asLong(0));
  }

  /** Each metric as current/target (the first two; "+ N more..." for the rest), unknown until measured. */
  static String hpaTargets(JsonNode specs, JsonNode statuses) {
    if (specs.size() == 0) {
      return NONE;
    }
    List<String> list = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      JsonNode spec = specs.get(i);
      String type = spec.path("type").asText("");
      String field = type.isEmpty() ? "" : Character.toLowerCase(type.charAt(0)) + type.substring(1);
      JsonNode source = spec.path(field);
      JsonNode target = source.path("target");
      JsonNode current = statuses.path(i).path(field).path("current");
      String shown = switch (type) {
        case "Resource", "ContainerResource" -> source.path("name").asText("") + ": " + (target.has("averageValue")
            ? current.path("averageValue").asText("<unknown>") + "/" + target.path("averageValue").asText()
            : (current.has("averageUtilization") ? current.path("averageUtilization").asInt() + "%" : "<unknown>")
                + "/" + (target.has("averageUtilization") ? target.path("averageUtilization").asInt() + "%" : "<auto>"));
        case "Pods" -> current.path("averageValue").asText("<unknown>") + "/" + target.path("averageValue").asText("");
        case "Object", "External" -> target.has("averageValue")
            ? current.path("averageValue").asText("<unknown>") + "/" + target.path("averageValue").asText() + " (avg)"
            : current.path("value").asText("<unknown>") + "/" + target.path("value").asText("");
        default -> "<unknown type>";
      };
      list.add(shown);
    }
    String shown = String.join(", ", list.subList(0, Math.min(2, list.size())));
    return list.size() > 2 ? shown + " + " + (list.size() - 2) + " more..." : shown;
  }

  /** The access modes as kubectl abbreviates them (RWO,ROX,RWX,RWOP), in that order. */
  private static String accessModes(JsonNode modes) {
    List<String> shown = new ArrayList<>();
    for (String[] m : new String[][] {{"ReadWriteOnce", "RWO"}, {"ReadOnlyMany", "ROX"}, {"ReadWriteMany", "RWX"},
        {"ReadWriteOncePod", "RWOP"}}) {
      for (JsonNode mode : modes) {
        if (mode.asText().equals(m[0])) {
          shown.add(m[1]);
          break;
        }
      }
    }
    return String.join(",", shown);
  }

  // ---- events ----

  private static List<Object> event(JsonNode o, Instant now) {
    String first = o.path("firstTimestamp").asText("");
    String last = o.path("lastTimestamp").asText("");
    if (last.isEmpty()) {
      last = o.path("series").path("lastObservedTime").asText(o.path("eventTime").asText(first));
    }
    if (first.isEmpty()) {
      first = o.path("eventTime").asText(last);
    }
    long count = o.path("count").asLong(o.path("series").path("count").asLong(1));
    String lastSeen = TableRenderer.age(last, now);
    if (count > 1) {
      lastSeen = lastSeen + " (x" + count + " over " + TableRenderer.age(first, now) + ")";
    }
    JsonNode involved = o.path("involvedObject");
    String object = involved.path("kind").asText("").toLowerCase(java.util.Locale.ROOT) + "/"
        + involved.path("name").asText("");
    String source = o.path("source").path("component").asText(o.path("reportingComponent").asText(""));
    if (!o.path("source").path("host").asText("").isEmpty()) {
      source = source + ", " + o.path("source").path("host").asText();
    }
    return List.of(lastSeen, o.path("type").asText(""), o.path("reason").asText(""), object,
        involved.path("fieldPath").asText(""), source, o.path("message").asText("").trim(),
        TableRenderer.age(first, now), count, o.path("metadata").path("name").asText(""));
  }

  // ---- quotas ----

  private static List<Object> resourceQuota(JsonNode o, Instant now) {
    Map<String, String> hard = new TreeMap<>();
    o.path("status").path("hard").fields().forEachRemaining(e -> hard.put(e.getKey(), e.getValue().asText()));
    JsonNode used = o.path("status").path("used");
    List<String> requests = new ArrayList<>();
    List<String> limits = new ArrayList<>();
    hard.forEach((name, limit) -> {
      String entry = name + ": " + used.path(name).asText("0") + "/" + limit;
      (name.startsWith("limits.") ? limits : requests).add(entry);
    });
    return List.of(String.join(", ", requests), String.join(", ", limits));
  }

  private static Instant instant(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
