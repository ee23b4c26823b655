package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.Pod;
import io.capstan.api.PodDisruptionBudget;
import io.capstan.api.PodDisruptionBudgetStatus;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.protobuf.KubernetesProtobuf;
import io.capstan.gateway.security.UserInfo;
import io.capstan.gateway.store.DeleteRequest;
import io.capstan.gateway.store.ListOptions;
import io.capstan.gateway.store.ListResult;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.StoredObject;
import io.capstan.gateway.store.WriteOptions;
import io.capstan.logschema.disruption.DisruptionBudgets;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificData;

/**
 * The eviction subresource, {@code POST /api/v1/namespaces/NS/pods/NAME/eviction} with a policy/v1
 * (or v1beta1) Eviction, as kube-apiserver's EvictionREST: a pod that is terminal, pending or
 * already being deleted is deleted at once; otherwise the one PodDisruptionBudget that covers it
 * must allow a disruption, and the budget's {@code status.disruptionsAllowed} is decremented (and
 * the pod entered in {@code status.disruptedPods}) before the pod is deleted with the Eviction's
 * deleteOptions. A budget that allows none answers 429 with kube's words, which {@code kubectl
 * drain} retries.
 *
 * <p>Race-free without a lock: the decrement is a status update at the resourceVersion the
 * decision was made on, and the command processor, the budget's single writer, refuses it with a
 * Conflict when anything (another eviction, the disruption controller) wrote the budget in
 * between. A refused decrement re-reads the budget and decides again, so concurrent evictions
 * against one budget succeed at most {@code disruptionsAllowed} times.
 */
final class PodEviction {
  static final String PATH = "^/api/v1/namespaces/([^/]+)/pods/([^/]+)/eviction$";
  static final String VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
  /** kube's MaxDisruptedPodSize: evictions the controller has not caught up with yet. */
  static final int MAX_DISRUPTED_POD_SIZE = 2000;
  /** How long conflicting writes are redone (kube: 20 tries, 500 ms apart). */
  static final long CONFLICT_RETRY_MS = 10_000;
  private static final long CONFLICT_PAUSE_MS = 10;
  private static final long CONFLICT_PAUSE_MAX_MS = 200;
  private static final List<String> VERSIONS = List.of("policy/v1", "policy/v1beta1");
  private static final KubernetesProtobuf PROTOBUF = KubernetesProtobuf.standard();

  private final ResourceStore store;
  private final Clock clock;

  PodEviction(ResourceStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** One eviction request, parsed. */
  private record Request(RoutingContext ctx, String namespace, String name, DeleteRequest delete, String actor) {
    boolean dryRun() {
      return delete.dryRun();
    }

    DeleteRequest withResourceVersion(String rv) {
      return new DeleteRequest(delete.actor(), delete.dryRun(), delete.propagationPolicy(),
          delete.gracePeriodSeconds(), delete.preconditionUid(), rv);
    }
  }

  /** Thrown inside the flow to answer with a Status that is not a failure of the store. */
  private static final class Answer extends RuntimeException {
    Answer(Throwable e) {
      super(e);
    }
  }

  void evict(RoutingContext ctx) {
    try {
      ctx.put(RequestMetrics.RESOURCE, "pods");
      ctx.put(RequestMetrics.VERB, "POST");
      Request request = parse(ctx);
      Context context = ctx.vertx().getOrCreateContext();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONFLICT_RETRY_MS);
      Future<Void> done = evictWithRetries(request, context, deadline, 1);
      done.onSuccess(v -> Responses.json(ctx, 201, success()))
          .onFailure(e -> Responses.error(ctx, e));
    } catch (Throwable e) {
      Responses.error(ctx, e);
    }
  }

  private static ObjectNode success() {
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.put("kind", "Status").put("apiVersion", "v1").putObject("metadata");
    status.put("status", "Success").put("code", 201);
    return status;
  }

  /** The Eviction body: kind, version and name checked as kube's; its deleteOptions become the delete's. */
  private static Request parse(RoutingContext ctx) {
    String namespace = ctx.pathParam("param0");
    String name = ctx.pathParam("param1");
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw new ApiException(ApiStatus.badRequest("the request body is empty"));
    }
    String contentType = ctx.request().getHeader("Content-Type");
    String bare = RequestMediaType.of(ctx.request());
    JsonNode json;
    if (bare.equals(KubernetesProtobuf.MEDIA_TYPE)) {
      json = PROTOBUF.decode(body.getBytes(), "policy/v1", "Eviction").object();
    } else if (bare.equals("application/json") || bare.equals("application/yaml")) {
      json = KubeJson.parse(body.toString());
    } else {
      throw new ApiException(ApiStatus.unsupportedMediaType(contentType, ResourceHandler.BODY_TYPES));
    }
    if (!(json instanceof ObjectNode eviction)) {
      throw new ApiException(ApiStatus.badRequest("the request body must be a JSON object"));
    }
    String kind = eviction.path("kind").asText("");
    String apiVersion = eviction.path("apiVersion").asText("");
    if (!kind.isEmpty() && !kind.equals("Eviction") || !apiVersion.isEmpty() && !VERSIONS.contains(apiVersion)) {
      throw new ApiException(ApiStatus.badRequest("not a Eviction object: " + apiVersion + " " + kind));
    }
    if (!name.equals(eviction.path("metadata").path("name").asText(""))) {
      throw new ApiException(ApiStatus.badRequest("name in URL does not match name in Eviction object"));
    }
    String sentNamespace = eviction.path("metadata").path("namespace").asText("");
    if (!sentNamespace.isEmpty() && !sentNamespace.equals(namespace)) {
      throw new ApiException(ApiStatus.badRequest("the namespace of the provided object (" + sentNamespace
          + ") does not match the namespace sent on the request (" + namespace + ")"));
    }
    JsonNode options = eviction.path("deleteOptions");
    if (!options.isMissingNode() && !options.isNull() && !options.isObject()) {
      throw new ApiException(ApiStatus.badRequest("Eviction.deleteOptions: must be an object"));
    }
    DeleteOptionsBody parsed = options.isObject() ? DeleteOptionsBody.parse(options.toString())
        : new DeleteOptionsBody(null, null, null, null, false);
    boolean dryRun = dryRun(ctx.request().getParam("dryRun"), options.path("dryRun"));
    String propagation = parsed.propagationPolicy() != null ? parsed.propagationPolicy()
        : parsed.orphanDependents() ? "Orphan" : "Background";
    if (!List.of("Orphan", "Background", "Foreground").contains(propagation)) {
      throw new ApiException(ApiStatus.badRequest("propagationPolicy: Unsupported value: \"" + propagation
          + "\": supported values: \"Background\", \"Foreground\", \"Orphan\""));
    }
    UserInfo user = ctx.get(Authentication.USER);
    String actor = user == null ? "system:anonymous" : user.name();
    return new Request(ctx, namespace, name, new DeleteRequest(actor, dryRun, propagation,
        parsed.gracePeriodSeconds(), parsed.uid(), parsed.resourceVersion()), actor);
  }

  /** The query's dryRun and the deleteOptions' must agree (kube: "Non-matching dry-run options"). */
  private static boolean dryRun(String query, JsonNode inBody) {
    boolean fromQuery = query != null && !query.isEmpty();
    if (fromQuery && !query.equals("All")) {
      throw new ApiException(ApiStatus.badRequest("dryRun: Unsupported value: \"" + query
          + "\": supported values: \"All\""));
    }
    boolean fromBody = false;
    if (inBody.isArray() && !inBody.isEmpty()) {
      for (JsonNode v : inBody) {
        if (!v.asText("").equals("All")) {
          throw new ApiException(ApiStatus.badRequest("dryRun: Unsupported value: \"" + v.asText("")
              + "\": supported values: \"All\""));
        }
      }
      fromBody = true;
    }
    return fromQuery || fromBody;
  }

  /** The whole eviction; a Conflict on the pod (it changed since it was read) starts it again. */
  private Future<Void> evictWithRetries(Request r, Context context, long deadline, int n) {
    return evictOnce(r, context, deadline).recover(e -> {
      boolean pinned = r.delete().preconditionResourceVersion() != null;
      if (e instanceof Answer a) {
        return Future.failedFuture(a.getCause());
      }
      if (pinned || !isConflict(e) || System.nanoTime() >= deadline) {
        return Future.failedFuture(e);
      }
      return pause(r, n).compose(v -> evictWithRetries(r, context, deadline, n + 1));
    });
  }

  private Future<Void> evictOnce(Request r, Context context, long deadline) {
    return Future.fromCompletionStage(store.get(Kinds.POD, r.namespace(), r.name()), context).compose(stored -> {
      Pod pod = (Pod) stored.object();
      if (canIgnoreBudgets(pod)) {
        // Evicting a pod that is done, not yet running or already going disrupts nothing more.
        DeleteRequest delete = shouldEnforceResourceVersion(pod) && r.delete().preconditionResourceVersion() == null
            ? r.withResourceVersion(Long.toString(stored.resourceVersion())) : r.delete();
        return delete(r, delete, context);
      }
      return Future.fromCompletionStage(store.list(Kinds.POD_DISRUPTION_BUDGET, ListOptions.all(r.namespace())),
          context).compose(list -> {
            List<PodDisruptionBudget> covering = covering(list, pod);
            if (covering.size() > 1) {
              return Future.failedFuture(new Answer(new ApiException(new ApiStatus(500, "InternalError",
                  "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                  null))));
            }
            if (covering.isEmpty()) {
              return delete(r, r.delete(), context);
            }
            PodDisruptionBudget pdb = covering.get(0);
            PodDisruptionBudgetStatus status = pdb.getStatus() == null ? new PodDisruptionBudgetStatus()
                : pdb.getStatus();
            if (!DisruptionBudgets.isReady(pod) && unhealthyMayGo(pdb, status)) {
              // A pod that is not ready is not counted healthy: its eviction takes nothing from the
              // budget, so long as it does not become ready meanwhile (the resourceVersion precondition).
              DeleteRequest delete = r.delete().preconditionResourceVersion() == null
                  ? r.withResourceVersion(Long.toString(stored.resourceVersion())) : r.delete();
              return delete(r, delete, context).recover(e -> isConflict(e)
                  && r.delete().preconditionResourceVersion() == null
                  ? Future.failedFuture(new Answer(stillProcessing(pdb.getMetadata().getName()))) : Future.failedFuture(e));
            }
            // Once the budget has given this pod its disruption, the delete is not redone from the start
            // (that would take a second one): its failure is the answer.
            return decrement(r, context, pdb, deadline, 1).compose(v -> delete(r, r.delete(), context)
                .recover(e -> Future.failedFuture(new Answer(e))));
          });
    });
  }

  /** AlwaysAllow, or (IfHealthyBudget, the default) the budget is met without this pod. */
  private static boolean unhealthyMayGo(PodDisruptionBudget pdb, PodDisruptionBudgetStatus status) {
    if (pdb.getSpec() != null && DisruptionBudgets.ALWAYS_ALLOW.equals(pdb.getSpec().getUnhealthyPodEvictionPolicy())) {
      return true;
    }
    return status.getCurrentHealthy() >= status.getDesiredHealthy() && status.getDesiredHealthy() > 0;
  }

  private static List<PodDisruptionBudget> covering(ListResult list, Pod pod) {
    return list.items().stream().map(s -> (PodDisruptionBudget) s.object())
        .filter(pdb -> DisruptionBudgets.coversForEviction(pdb, pod)).toList();
  }

  /**
   * checkAndDecrement at the budget's current version; a Conflict (someone wrote the budget in
   * between) re-reads it and decides again, until the deadline.
   */
  private Future<Void> decrement(Request r, Context context, PodDisruptionBudget pdb, long deadline, int n) {
    return checkAndDecrement(r, context, pdb).recover(e -> {
      if (!isConflict(e)) {
        return Future.failedFuture(new Answer(e));
      }
      if (System.nanoTime() >= deadline) {
        return Future.failedFuture(new Answer(new ApiException(new ApiStatus(504, "Timeout",
            "couldn't update PodDisruptionBudget \"" + pdb.getMetadata().getName() + "\" due to conflicts",
            new ApiStatus.Details(null, null, null, List.of(), 10)))));
      }
      return pause(r, n).compose(v -> Future.fromCompletionStage(
              store.get(Kinds.POD_DISRUPTION_BUDGET, r.namespace(), pdb.getMetadata().getName()), context))
          .compose(fresh -> decrement(r, context, (PodDisruptionBudget) fresh.object(), deadline, n + 1));
    });
  }

  private Future<Void> checkAndDecrement(Request r, Context context, PodDisruptionBudget pdb) {
    String name = pdb.getMetadata().getName();
    PodDisruptionBudgetStatus status = pdb.getStatus() == null ? new PodDisruptionBudgetStatus() : pdb.getStatus();
    long generation = pdb.getMetadata().getGeneration() == null ? 0 : pdb.getMetadata().getGeneration();
    long observed = status.getObservedGeneration() == null ? 0 : status.getObservedGeneration();
    if (observed < generation) {
      return Future.failedFuture(stillProcessing(name));
    }
    if (status.getDisruptionsAllowed() < 0) {
      return Future.failedFuture(new ApiException(ApiStatus.forbidden("policy", "poddisruptionbudget", name,
          "pdb disruptions allowed is negative")));
    }
    if (status.getDisruptedPods() != null && status.getDisruptedPods().size() > MAX_DISRUPTED_POD_SIZE) {
      return Future.failedFuture(new ApiException(ApiStatus.forbidden("policy", "poddisruptionbudget", name,
          "DisruptedPods map too big - too many evictions not confirmed by PDB controller")));
    }
    if (status.getDisruptionsAllowed() == 0) {
      return Future.failedFuture(violation(name, status.getDesiredHealthy(), status.getCurrentHealthy()));
    }
    if (r.dryRun()) {
      return Future.succeededFuture();
    }
    PodDisruptionBudget updated = SpecificData.get().deepCopy(PodDisruptionBudget.getClassSchema(), pdb);
    PodDisruptionBudgetStatus s = updated.getStatus() == null ? new PodDisruptionBudgetStatus() : updated.getStatus();
    updated.setStatus(s);
    s.setDisruptionsAllowed(s.getDisruptionsAllowed() - 1);
    if (s.getDisruptionsAllowed() == 0) {
      DisruptionBudgets.updateDisruptionAllowedCondition(s, clock.instant());
    }
    // Tells the controller this pod is on its way out, so it is not counted healthy meanwhile.
    Map<String, String> disrupted = s.getDisruptedPods() == null ? new HashMap<>() : new HashMap<>(s.getDisruptedPods());
    disrupted.put(r.name(), clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    s.setDisruptedPods(disrupted);
    // updated carries the resourceVersion the decision was made on: the processor's precondition.
    return Future.fromCompletionStage(store.updateStatus(Kinds.POD_DISRUPTION_BUDGET, updated,
        new WriteOptions(r.actor(), false, null)), context).mapEmpty();
  }

  private Future<Void> delete(Request r, DeleteRequest delete, Context context) {
    return Future.fromCompletionStage(store.delete(Kinds.POD, r.namespace(), r.name(), delete), context).mapEmpty();
  }

  /** 429 as kube's: the budget's message and cause, for clients (kubectl drain) to retry. */
  static ApiException violation(String pdb, int desiredHealthy, int currentHealthy) {
    return new ApiException(new ApiStatus(429, "TooManyRequests", VIOLATION, new ApiStatus.Details(null, null, null,
        List.of(new ApiStatus.Cause("DisruptionBudget", "The disruption budget " + pdb + " needs " + desiredHealthy
            + " healthy pods and has " + currentHealthy + " currently", null)), 0)));
  }

  /** 429 for a budget whose status the controller has not caught up with. */
  static ApiException stillProcessing(String pdb) {
    return new ApiException(new ApiStatus(429, "TooManyRequests", VIOLATION, new ApiStatus.Details(null, null, null,
        List.of(new ApiStatus.Cause("DisruptionBudget", "The disruption budget " + pdb
            + " is still being processed by the server.", null)), 10)));
  }

  /** canIgnorePDB: terminal, pending, or already being deleted. */
  static boolean canIgnoreBudgets(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase) || "Pending".equals(phase) || phase == null
        || pod.getMetadata().getDeletionTimestamp() != null;
  }

  /** Terminal pods and pods already being deleted need no precondition; others might become ready meanwhile. */
  private static boolean shouldEnforceResourceVersion(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return !"Succeeded".equals(phase) && !"Failed".equals(phase) && pod.getMetadata().getDeletionTimestamp() == null;
  }

  private static Future<Void> pause(Request r, int n) {
    return r.ctx().vertx().timer(Math.min(CONFLICT_PAUSE_MS * n, CONFLICT_PAUSE_MAX_MS)).mapEmpty();
  }

  private static boolean isConflict(Throwable e) {
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e instanceof ApiException api && api.status().code() == 409 && api.status().reason().equals("Conflict");
  }
}
