package io.capstan.gateway.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Renders objects (their Kubernetes JSON) as a {@code meta.k8s.io/v1 Table}, the response to
 * {@code Accept: application/json;as=Table;g=meta.k8s.io;v=v1}. Columns follow kubectl's
 * printers: pods NAME READY STATUS RESTARTS AGE, deployments NAME READY UP-TO-DATE AVAILABLE AGE,
 * replicasets NAME DESIRED CURRENT READY AGE, configmaps NAME DATA AGE, secrets NAME TYPE DATA AGE,
 * namespaces NAME STATUS AGE, the kinds {@link KindColumns} prints as it says, every other kind NAME AGE. Each row carries the object's metadata as PartialObjectMetadata
 * (kubectl's default includeObject=Metadata), which kubectl uses for -A and --show-labels.
 * A pure function of its inputs.
 */
public final class TableRenderer {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private record Column(String name, String type, String format, String description) {}

  private static final Column NAME = new Column("Name", "string", "name",
      "Name must be unique within a namespace.");
  private static final Column AGE = new Column("Age", "string", "",
      "CreationTimestamp is a timestamp representing the server time when this object was created.");

  private TableRenderer() {}

  /** An empty meta.k8s.io/v1 Table at a resourceVersion, with the list's continue token. */
  static ObjectNode table(String resourceVersion, String continueToken) {
    ObjectNode table = NODES.objectNode();
    table.put("kind", "Table");
    table.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode meta = table.putObject("metadata");
    if (resourceVersion != null) {
      meta.put("resourceVersion", resourceVersion);
    }
    if (continueToken != null && !continueToken.isEmpty()) {
      meta.put("continue", continueToken);
    }
    return table;
  }

  public static ObjectNode render(Kind kind, List<? extends JsonNode> objects, String resourceVersion,
      String continueToken, Instant now) {
    return render(kind, null, objects, resourceVersion, continueToken, now);
  }

  /**
   * The Table of objects of a kind as served in a version (a custom kind's printer columns may
   * differ by version; null means the storage version).
   */
  public static ObjectNode render(Kind kind, String version, List<? extends JsonNode> objects, String resourceVersion,
      String continueToken, Instant now) {
    if (KindColumns.covers(kind)) {
      return KindColumns.render(kind, objects, resourceVersion, continueToken, now);
    }
    List<Kind.PrinterColumn> custom = kind.custom() ? CustomColumns.of(kind, version) : null;
    List<Column> columns = custom == null ? columns(kind) : customColumns(custom);
    ObjectNode table = table(resourceVersion, continueToken);
    ArrayNode defs = table.putArray("columnDefinitions");
    for (int i = 0; i < columns.size(); i++) {
      Column c = columns.get(i);
      int priority = custom == null || i == 0 ? 0 : custom.get(i - 1).priority();
      defs.addObject().put("name", c.name()).put("type", c.type()).put("format", c.format())
          .put("description", c.description()).put("priority", priority);
    }
    ArrayNode rows = table.putArray("rows");
    for (JsonNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      if (custom == null) {
        cells(kind, o, now, cells);
      } else {
        cells.add(o.path("metadata").path("name").asText());
        custom.forEach(col -> cells.add(CustomColumns.cell(col, o, now)));
      }
      ObjectNode partial = row.putObject("object");
      partial.put("kind", "PartialObjectMetadata");
      partial.put("apiVersion", "meta.k8s.io/v1");
      partial.set("metadata", o.path("metadata").deepCopy());
    }
    return table;
  }

  private static List<Column> customColumns(List<Kind.PrinterColumn> printerColumns) {
    List<Column> columns = new java.util.ArrayList<>();
    columns.add(NAME);
    for (Kind.PrinterColumn p : printerColumns) {
      columns.add(new Column(p.name(), p.type(), p.format() == null ? "" : p.format(),
          p.description() == null ? "" : p.description()));
    }
    return columns;
  }

  private static List<Column> columns(Kind kind) {
    if (kind == Kinds.POD) {
      return List.of(NAME,
          new Column("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic."),
          new Column("Status", "string", "", "The aggregate status of the containers in this pod."),
          new Column("Restarts", "string", "", "The number of times the containers in this pod have been restarted."),
          AGE);
    }
    if (kind == Kinds.DEPLOYMENT) {
      return List.of(NAME,
          new Column("Ready", "string", "", "Number of the pod with ready state"),
          new Column("Up-to-date", "integer", "", "Total number of non-terminated pods targeted by this deployment "
              + "that have the desired template spec."),
          new Column("Available", "integer", "", "Total number of available pods targeted by this deployment."),
          AGE);
    }
    if (kind == Kinds.REPLICA_SET) {
      return List.of(NAME,
          new Column("Desired", "integer", "", "Number of desired pods."),
          new Column("Current", "integer", "", "The most recently observed number of replicas."),
          new Column("Ready", "integer", "", "The number of ready replicas for this replica set."),
          AGE);
    }
    if (kind == Kinds.CONFIG_MAP) {
      return List.of(NAME, new Column("Data", "integer", "", "Number of keys in data and binaryData."), AGE);
    }
    if (kind == Kinds.SECRET) {
      return List.of(NAME, new Column("Type", "string", "", "Used to facilitate programmatic handling of secret data."),
          new Column("Data", "integer", "", "Number of keys in data."), AGE);
    }
    if (kind == Kinds.NAMESPACE) {
      return List.of(NAME, new Column("Status", "string", "", "The status of the namespace: Active or Terminating."),
          AGE);
    }
    return List.of(NAME, AGE);
  }

  private static void cells(Kind kind, JsonNode o, Instant now, ArrayNode cells) {
    cells.add(o.path("metadata").path("name").asText());
    if (kind == Kinds.POD) {
      PodSummary s = PodSummary.of(o);
      cells.add(s.ready() + "/" + s.total());
      cells.add(s.status());
      cells.add(String.valueOf(s.restarts()));
    } else if (kind == Kinds.DEPLOYMENT) {
      long desired = o.path("spec").path("replicas").asLong(1);
      JsonNode status = o.path("status");
      cells.add(status.path("readyReplicas").asLong(0) + "/" + desired);
      cells.add(status.path("updatedReplicas").asLong(0));
      cells.add(status.path("availableReplicas").asLong(0));
    } else if (kind == Kinds.REPLICA_SET) {
      cells.add(o.path("spec").path("replicas").asLong(1));
      cells.add(o.path("status").path("replicas").asLong(0));
      cells.add(o.path("status").path("readyReplicas").asLong(0));
    } else if (kind == Kinds.CONFIG_MAP) {
      cells.add(o.path("data").size() + o.path("binaryData").size());
    } else if (kind == Kinds.SECRET) {
      cells.add(o.path("type").asText("Opaque"));
      cells.add(o.path("data").size());
    } else if (kind == Kinds.NAMESPACE) {
      cells.add(o.path("status").path("phase").asText("Active"));
    }
    cells.add(age(o.path("metadata").path("creationTimestamp").asText(""), now));
  }

  static String age(String creationTimestamp, Instant now) {
    if (creationTimestamp.isEmpty()) {
      return "<unknown>";
    }
    try {
      return HumanDuration.format(Duration.between(Instant.parse(creationTimestamp), now));
    } catch (DateTimeParseException e) {
      return "<unknown>";
    }
  }

  /** The READY, STATUS and RESTARTS of a pod, reduced as kubectl's pod printer does. */
  record PodSummary(int ready, int total, String status, long restarts) {
    static PodSummary of(JsonNode pod) {
      JsonNode spec = pod.path("spec");
      JsonNode status = pod.path("status");
      int total = spec.path("containers").size();
      for (JsonNode c : spec.path("initContainers")) {
        if ("Always".equals(c.path("restartPolicy").asText(""))) {
          total++; // a native sidecar counts among the pod's containers (kubectl 1.29+)
        }
      }
      String reason = status.path("phase").asText("Pending");
      if (status.hasNonNull("reason")) {
        reason = status.get("reason").asText();
      }
      long restarts = 0;
      int ready = 0;
      int initTotal = spec.path("initContainers").size();
      boolean initializing = false;
      int i = 0;
      for (JsonNode c : status.path("initContainerStatuses")) {
        restarts += c.path("restartCount").asLong(0);
        JsonNode state = c.path("state");
        boolean sidecar = "Always".equals(spec.path("initContainers").path(i).path("restartPolicy").asText(""));
        if (sidecar && c.path("started").asBoolean(false)) {
          if (c.path("ready").asBoolean(false)) {
            ready++;
          }
          i++;
          continue;
        }
        if (state.has("terminated") && state.get("terminated").path("exitCode").asInt(0) == 0) {
          i++;
          continue;
        }
        if (state.has("terminated")) {
          JsonNode t = state.get("terminated");
          reason = t.hasNonNull("reason") ? "Init:" + t.get("reason").asText()
              : t.path("signal").asInt(0) != 0 ? "Init:Signal:" + t.get("signal").asInt()
              : "Init:ExitCode:" + t.path("exitCode").asInt();
        } else if (state.has("waiting") && state.get("waiting").hasNonNull("reason")
            && !state.get("waiting").get("reason").asText().equals("PodInitializing")) {
          reason = "Init:" + state.get("waiting").get("reason").asText();
        } else {
          reason = "Init:" + i + "/" + initTotal;
        }
        initializing = true;
        break;
      }
      boolean initialized = false;
      for (JsonNode c : status.path("conditions")) {
        initialized |= "Initialized".equals(c.path("type").asText()) && "True".equals(c.path("status").asText());
      }
      // An initialized pod shows its containers, even when a sidecar stopped (kubectl 1.29+).
      if (!initializing || initialized) {
        boolean hasRunning = false;
        List<JsonNode> statuses = new java.util.ArrayList<>();
        status.path("containerStatuses").forEach(statuses::add);
        for (int k = statuses.size() - 1; k >= 0; k--) {
          JsonNode c = statuses.get(k);
          restarts += c.path("restartCount").asLong(0);
          JsonNode state = c.path("state");
          if (state.has("waiting") && state.get("waiting").hasNonNull("reason")) {
            reason = state.get("waiting").get("reason").asText();
          } else if (state.has("terminated")) {
            JsonNode t = state.get("terminated");
            reason = t.hasNonNull("reason") ? t.get("reason").asText()
                : t.path("signal").asInt(0) != 0 ? "Signal:" + t.get("signal").asInt()
                : "ExitCode:" + t.path("exitCode").asInt();
          } else if (state.has("running") && c.path("ready").asBoolean(false)) {
            hasRunning = true;
            ready++;
          }
        }
        if (reason.equals("Completed") && hasRunning) {
          reason = "Running";
        }
      }
      if (pod.path("metadata").hasNonNull("deletionTimestamp")) {
        reason = "Terminating";
      }
      return new PodSummary(ready, total, reason, restarts);
    }
  }
}
