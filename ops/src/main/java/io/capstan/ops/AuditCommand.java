package io.capstan.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.audit.AuditEntry;
import io.capstan.stateviews.audit.AuditQuery;
import io.capstan.stateviews.audit.AuditTrail;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code capstan audit}: who changed what, when, from the event log. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the audit trail from the event log (capstan.events): when, who (the authenticated",
      "user or component that sent the command), what (op and object) and which fields changed.",
      "Filters combine; times are ISO-8601 instants (2026-11-27T04:00:00Z) or ages (10m, 1h30m).",
      "-o json prints one JSON object per event and line, with the merge patch of each change."
    })
final class AuditCommand implements Callable<Integer> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneOffset.UTC);
  private static final int CHANGED_WIDTH = 60;

  @Mixin ClusterLogOptions cluster;

  @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "Only objects in this namespace.")
  String namespace;

  @Option(names = "--kind", paramLabel = "KIND", description = "Only this kind (Pod, pods, po, deploy, …).")
  String kind;

  @Option(names = "--name", paramLabel = "NAME", description = "Only objects of this name.")
  String name;

  @Option(names = "--actor", paramLabel = "USER", description = "Only changes made by this user or component.")
  String actor;

  @Option(names = "--since", paramLabel = "TIME", description = "Only changes at or after this time.")
  String since;

  @Option(names = "--until", paramLabel = "TIME", description = "Only changes at or before this time.")
  String until;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "table or json (default: ${DEFAULT-VALUE}).")
  String output;

  @Option(names = "--objects", description = "With -o json: each change also carries the object after it"
      + " (responseObject, as Kubernetes audit's RequestResponse level), whichever schema of its kind wrote it;"
      + " exits 1 when one cannot be decoded.")
  boolean objects;

  @Mixin EncryptionOptions encryption;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AuditQuery query;
    Map<String, Object> cfg;
    try {
      if (!output.equals("table") && !output.equals("json")) {
        throw new IllegalArgumentException("-o must be table or json, got \"" + output + "\"");
      }
      if (objects && !output.equals("json")) {
        throw new IllegalArgumentException("--objects needs -o json");
      }
      cfg = cluster.clientConfig();
      if (kind != null && Kinds.lookup(kind).isEmpty()) {
        ClusterKinds.follow(cfg, cluster.layout()); // a custom kind, known from its definition
      }
      query = query(Instant.now());
      if (objects) {
        encryption.installIfPresent(); // only to tell retired keys apart: audit never shows a Secret's values
      }
    } catch (IllegalArgumentException | io.capstan.logschema.secrets.EncryptionKeyException e) {
      err.println(e.getMessage());
      return 2;
    }
    List<AuditEntry> entries = new AuditTrail(cfg, cluster.layout()).query(query, objects);
    if (output.equals("json")) {
      printJson(out, entries);
    } else {
      printTable(out, entries);
    }
    out.flush();
    long unreadable = entries.stream().filter(e -> e.objectError() != null).count();
    if (unreadable > 0) {
      err.println(unreadable + " objects could not be decoded; the first: " + entries.stream()
          .filter(e -> e.objectError() != null).findFirst().map(e -> e.object() + ": " + e.objectError()).orElse(""));
      err.flush();
      return 1;
    }
    return 0;
  }

  AuditQuery query(Instant now) {
    Optional<String> kindName = Optional.ofNullable(kind).map(k -> Kinds.lookup(k).map(Kind::kind)
        .orElseThrow(() -> new IllegalArgumentException("--kind: no kind is called \"" + k + "\"; known kinds: "
            + Kinds.all().stream().map(Kind::kind).toList())));
    long sinceMicros = since == null ? 0 : InstantArgument.micros(InstantArgument.parse("--since", since, now));
    long untilMicros = until == null ? Long.MAX_VALUE : InstantArgument.micros(InstantArgument.parse("--until", until, now));
    return new AuditQuery(kindName, Optional.ofNullable(namespace), Optional.ofNullable(name),
        Optional.ofNullable(actor), sinceMicros, untilMicros);
  }

  private static void printTable(PrintWriter out, List<AuditEntry> entries) {
    String format = "%-29s  %-24s  %-16s  %-40s  %s%n";
    out.printf(format, "TIME", "ACTOR", "OP", "OBJECT", "CHANGED");
    for (AuditEntry e : entries) {
      String changed = e.access() != null ? accessDetail(e.access()) : String.join(",", e.changedPaths());
      if (changed.length() > CHANGED_WIDTH) {
        changed = changed.substring(0, CHANGED_WIDTH - 1) + "…";
      }
      out.printf(format, TIME.format(e.time()), e.actor().isEmpty() ? "-" : e.actor(), e.op(), e.object(),
          changed.isEmpty() ? "-" : changed);
    }
    out.println(entries.size() + " events");
  }

  /** What the CHANGED column says of an access decision: the status, the source, the impersonator, why. */
  static String accessDetail(io.capstan.log.Access a) {
    StringBuilder b = new StringBuilder().append(a.getCode()).append(" from ")
        .append(a.getSourceAddress().isEmpty() ? "?" : a.getSourceAddress());
    if (!a.getImpersonator().isEmpty()) {
      b.append(" (impersonated by ").append(a.getImpersonator()).append(')');
    }
    if (!a.getReason().isEmpty()) {
      b.append(": ").append(a.getReason());
    }
    return b.toString();
  }

  private static void printJson(PrintWriter out, List<AuditEntry> entries) {
    ObjectMapper json = new ObjectMapper();
    for (AuditEntry e : entries) {
      ObjectNode n = json.createObjectNode();
      n.put("time", e.time().toString());
      n.put("actor", e.actor());
      n.put("op", e.op());
      n.put("kind", e.kind());
      n.put("namespace", e.namespace());
      n.put("name", e.name());
      n.put("uid", e.uid());
      n.put("resourceVersion", Long.toString(e.resourceVersion()));
      n.put("requestId", e.requestId());
      ArrayNode paths = n.putArray("changedPaths");
      e.changedPaths().forEach(paths::add);
      if (e.mergePatch() != null) {
        try {
          n.set("mergePatch", json.readTree(e.mergePatch()));
        } catch (JsonProcessingException ex) {
          n.put("mergePatch", e.mergePatch());
        }
      }
      if (e.responseObject() != null) {
        try {
          n.set("responseObject", json.readTree(e.responseObject()));
        } catch (JsonProcessingException ex) {
          n.put("responseObject", e.responseObject());
        }
      }
      if (e.objectError() != null) {
        n.put("objectError", e.objectError());
      }
      if (e.access() != null) {
        io.capstan.stateviews.audit.AccessJson.put(n.putObject("access"), e.access());
      }
      out.println(n);
    }
  }
}
