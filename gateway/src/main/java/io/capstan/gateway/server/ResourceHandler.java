package io.capstan.gateway.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.discovery.ApiDiscovery;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.paging.ContinueToken;
import io.capstan.gateway.protobuf.KubernetesProtobuf;
import io.capstan.gateway.security.UserInfo;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.store.DeleteRequest;
import io.capstan.gateway.store.ListOptions;
import io.capstan.gateway.store.ListResult;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.gateway.store.StoredObject;
import io.capstan.gateway.store.WatchEvent;
import io.capstan.gateway.store.WatchHandle;
import io.capstan.gateway.store.WatchOptions;
import io.capstan.gateway.store.WriteOptions;
import io.capstan.gateway.table.TableRenderer;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.Converted;
import io.capstan.logschema.crd.CustomObjects;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Conversions;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.json.ConversionException;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.patch.PatchType;
import io.capstan.logschema.validation.FieldError;
import io.capstan.logschema.validation.ObjectValidator;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.avro.generic.IndexedRecord;

/**
 * The Kubernetes REST verbs on {@code /api} and {@code /apis}: discovery documents, get, list
 * (with Table output), watch, create, update, patch, delete, deletecollection and the
 * subresources status, scale, binding, log, ephemeralcontainers and the streams into a pod (exec,
 * attach, portforward, tunnelled to its node agent). Request bodies are converted
 * and validated here
 * (bad input never reaches the store); the {@link ResourceStore} does the rest asynchronously
 * and its answer is written back on this request's event-loop context.
 */
final class ResourceHandler implements Handler<RoutingContext> {
  static final List<String> BODY_TYPES = List.of("application/json", "application/yaml", KubernetesProtobuf.MEDIA_TYPE);
  private static final List<String> PATCH_TYPES = List.of("application/json-patch+json",
      "application/merge-patch+json", "application/strategic-merge-patch+json");
  private static final List<String> CUSTOM_PATCH_TYPES = List.of("application/json-patch+json",
      "application/merge-patch+json");
  /**
   * How long a patch or scale without a resourceVersion of its own keeps redoing itself on newer
   * versions: kube-apiserver's storage retries such an update until it lands (bounded only by the
   * request timeout), and while a controller is busy writing the object's status a re-read can
   * lose the race several times in a row. Each re-read waits until the cache holds the version the
   * conflict named (the store's read-your-writes), so no attempt repeats on a version known stale.
   */
  static final long CONFLICT_RETRY_MS = 20_000;
  /** Pause before the n-th redo: n x this, at most {@link #CONFLICT_PAUSE_MAX_MS}. */
  private static final long CONFLICT_PAUSE_MS = 10;
  private static final long CONFLICT_PAUSE_MAX_MS = 200;
  private static final String PROTOBUF = KubernetesProtobuf.MEDIA_TYPE;
  private static final KubernetesProtobuf PROTOBUF_BODIES = KubernetesProtobuf.standard();
  private static final String APPLY_PATCH = "application/apply-patch+yaml";
  private static final String GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final ApiDiscovery discovery;
  private final ResourceStore store;
  private final PodLogProxy logs;
  private final PodStreamProxy streams;
  private final Clock clock;
  private final io.capstan.gateway.security.WriteAdmission admission;

  ResourceHandler(ApiDiscovery discovery, ResourceStore store, Clock clock, PodLogProxy logs) {
    this(discovery, store, clock, logs, io.capstan.gateway.security.WriteAdmission.NONE);
  }

  ResourceHandler(ApiDiscovery discovery, ResourceStore store, Clock clock, PodLogProxy logs,
      io.capstan.gateway.security.WriteAdmission admission) {
    this.admission = admission;
    this.discovery = discovery;
    this.store = store;
    this.logs = logs;
    this.streams = logs == null ? null : logs.streams();
    this.clock = clock;
  }

  /** One request, resolved. */
  private record Call(RoutingContext ctx, ResourcePath path, Kind kind, String actor) {
    String param(String name) {
      return ctx.request().getParam(name);
    }

    boolean flag(String name) {
      String v = param(name);
      return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    /**
     * The object as served in the request's version: a custom kind's apiVersion names it, and
     * its schema's defaults are applied as Kubernetes applies them when reading from storage
     * (an object stored before a default was added gets it).
     */
    byte[] json(StoredObject s) {
      java.util.Optional<Conversions.Conversion> conversion = conversion();
      if (conversion.isPresent()) {
        return Responses.bytes(conversion.get().toServed(KubeJson.toJson(s.object())));
      }
      boolean rewrite = ServedVersions.rewrites(kind, path.version());
      boolean defaults = kind.custom() && CustomObjects.hasDefaults(openApiSchema());
      if (!rewrite && !defaults) {
        return s.json();
      }
      return ServedVersions.render(s.json(), rewrite ? kind.apiVersion(path.version()) : null,
          defaults ? openApiSchema() : null);
    }

    /** A custom kind's OpenAPI schema in the request's version (its storage version's when it has none). */
    com.fasterxml.jackson.databind.JsonNode openApiSchema() {
      return kind.details(path.version()).map(Kind.VersionDetails::openApiSchema).orElse(kind.openApiSchema());
    }

    /** The conversion of the request's version of a built-in kind whose objects it shapes differently. */
    java.util.Optional<Conversions.Conversion> conversion() {
      return Conversions.of(kind, path.version());
    }

    /** The apiVersion of the request's version. */
    String apiVersion() {
      return path.version() != null && kind.serves(path.version()) ? kind.apiVersion(path.version()) : kind.apiVersion();
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    try {
      ResourcePath path = ResourcePath.parse(ctx.request().path());
      if (path == null) {
        throw new ApiException(ApiStatus.noSuchPath());
      }
      if (path.resource() == null) {
        discoveryDocument(ctx, path);
        return;
      }
      Kind kind = Kinds.byPlural(path.group(), path.resource())
          .filter(k -> k.serves(path.version()))
          .orElseThrow(() -> new ApiException(ApiStatus.noSuchPath()));
      if (path.namespace() != null && !kind.namespaced()) {
        throw new ApiException(ApiStatus.noSuchPath());
      }
      UserInfo user = ctx.get(Authentication.USER);
      Call call = new Call(ctx, path, kind, user == null ? "system:anonymous" : user.name());
      ctx.put(RequestMetrics.RESOURCE, kind.plural());
      ServedVersions.deprecationWarning(kind, path.version())
          .ifPresent(w -> ctx.response().headers().add("Warning", ServedVersions.warningHeader(w)));
      dispatch(call);
    } catch (Throwable e) {
      Responses.error(ctx, e);
    }
  }

  /**
   * The address the client reached this server at, {@code host:port}: the listening address, or
   * with a wildcard one the interface the connection came in on (kube-apiserver advertises its
   * {@code --advertise-address} and secure port).
   */
  private static String serverAddress(RoutingContext ctx) {
    io.vertx.core.net.SocketAddress local = ctx.request().localAddress();
    String host = local.hostAddress() != null ? local.hostAddress() : local.host();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + local.port();
  }

  private void discoveryDocument(RoutingContext ctx, ResourcePath path) {
    if (ctx.request().method() != HttpMethod.GET) {
      throw new ApiException(ApiStatus.methodNotAllowed(ctx.request().method().name(), ctx.request().path()));
    }
    if (path.group() == null) {
      Responses.json(ctx, 200, discovery.groups());
    } else if (path.version() == null) {
      Responses.json(ctx, 200, path.group().isEmpty() ? discovery.coreVersions(serverAddress(ctx))
          : discovery.group(path.group()).orElseThrow(() -> new ApiException(ApiStatus.noSuchPath())));
    } else {
      Responses.json(ctx, 200, discovery.resources(path.group(), path.version())
          .orElseThrow(() -> new ApiException(ApiStatus.noSuchPath())));
    }
  }

  private void dispatch(Call c) {
    HttpMethod method = c.ctx().request().method();
    String sub = c.path().subresource();
    boolean named = c.path().name() != null;
    if (named && c.kind().namespaced() && c.path().namespace() == null) {
      throw new ApiException(ApiStatus.noSuchPath());
    }
    if (sub != null) {
      subresource(c, method, sub);
      return;
    }
    if (method == HttpMethod.GET && named) {
      verb(c, "GET");
      get(c);
    } else if (method == HttpMethod.GET) {
      if (c.flag("watch")) {
        verb(c, "WATCH");
        watch(c);
      } else {
        verb(c, "LIST");
        list(c);
      }
    } else if (method == HttpMethod.POST && !named) {
      verb(c, "POST");
      create(c);
    } else if (method == HttpMethod.PUT && named) {
      verb(c, "PUT");
      update(c, false);
    } else if (method == HttpMethod.PATCH && named) {
      verb(c, "PATCH");
      patch(c, false);
    } else if (method == HttpMethod.DELETE && named) {
      verb(c, "DELETE");
      replyJson(c, store.delete(c.kind(), c.path().namespace(), c.path().name(), deleteRequest(c)),
          c::json, 200);
    } else if (method == HttpMethod.DELETE) {
      verb(c, "DELETECOLLECTION");
      deleteCollection(c);
    } else {
      throw new ApiException(ApiStatus.methodNotAllowed(method.name(), c.path().resource()));
    }
  }

  private static void verb(Call c, String verb) {
    c.ctx().put(RequestMetrics.VERB, verb);
  }

  // ---- reads ----

  /** A get: live, as it was at the request's asOf / asOfResourceVersion, or its history ({@link HistoricalReads}). */
  private void get(Call c) {
    String namespace = c.path().namespace();
    String name = c.path().name();
    if (HistoricalReads.wantsHistory(c.ctx().request())) {
      reply(c, store.history(c.kind(), namespace, name), h -> HistoricalReads.body(c.kind(), namespace, name, h), 200);
      return;
    }
    java.util.Optional<io.capstan.stateviews.history.AsOf> at = HistoricalReads.point(c.ctx().request(), clock);
    replyJson(c, at.isPresent() ? store.getAsOf(c.kind(), namespace, name, at.get())
        : store.get(c.kind(), namespace, name, c.param("resourceVersion")), s -> objectOrTable(c, s), 200);
  }

  /**
   * The object a read-modify-write (a patch, a scale, new ephemeral containers) starts from: this
   * gateway's cached copy, which may lag (the write that follows carries its resourceVersion, so a
   * stale copy is a 409 and another try), but a NotFound there is confirmed by a consistent read
   * before it is answered, as kube-apiserver reads storage when its cache has no object. Without
   * that, an object just created through another gateway was a 404 to a patch (the cluster
   * robustness run found it as a linearizability anomaly).
   */
  private CompletionStage<StoredObject> current(Call c) {
    String ns = c.path().namespace();
    String name = c.path().name();
    return store.get(c.kind(), ns, name).handle((found, e) -> {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof ApiException api && api.status().code() == 404) {
        return store.get(c.kind(), ns, name, "");
      }
      return e == null ? java.util.concurrent.CompletableFuture.completedStage(found)
          : java.util.concurrent.CompletableFuture.<StoredObject>failedStage(cause);
    }).thenCompose(Function.identity());
  }

  /** The object a subresource shows: as stored now, or as it was at the request's asOf / asOfResourceVersion. */
  private CompletionStage<StoredObject> stored(Call c) {
    java.util.Optional<io.capstan.stateviews.history.AsOf> at = HistoricalReads.point(c.ctx().request(), clock);
    return at.isPresent() ? store.getAsOf(c.kind(), c.path().namespace(), c.path().name(), at.get())
        : store.get(c.kind(), c.path().namespace(), c.path().name());
  }

  private byte[] objectOrTable(Call c, StoredObject s) {
    if (wantsTable(c)) {
      return Responses.bytes(TableRenderer.render(c.kind(), c.path().version(), List.of(KubeJson.toJson(s.object())),
          null, null, tableNow(c)));
    }
    return c.json(s);
  }

  /** The instant a Table's ages count to: a historical read's asOf, else now. */
  private java.time.Instant tableNow(Call c) {
    return HistoricalReads.point(c.ctx().request(), clock)
        .filter(at -> at instanceof io.capstan.stateviews.history.AsOf.Time)
        .map(at -> ((io.capstan.stateviews.history.AsOf.Time) at).instant())
        .orElseGet(clock::instant);
  }

  private static boolean wantsTable(Call c) {
    String accept = c.ctx().request().getHeader("Accept");
    return accept != null && accept.contains("as=Table") && accept.contains("g=meta.k8s.io");
  }

  private void list(Call c) {
    ListOptions options = listOptions(c);
    if (HistoricalReads.wantsHistory(c.ctx().request())) {
      throw new ApiException(ApiStatus.badRequest("history: Forbidden: a history is of one object: GET "
          + c.path().resource() + "/{name}?history=true"));
    }
    java.util.Optional<io.capstan.stateviews.history.AsOf> at = HistoricalReads.point(c.ctx().request(), clock);
    replyJson(c, at.isPresent() ? store.listAsOf(c.kind(), options, at.get()) : store.list(c.kind(), options),
        result -> listBody(c, result), 200);
  }

  private ListOptions listOptions(Call c) {
    ReadParameters.check(c.ctx().request(), false);
    try {
      long limit = 0;
      if (c.param("limit") != null) {
        limit = Long.parseLong(c.param("limit"));
        if (limit < 0) {
          throw new NumberFormatException("negative");
        }
      }
      String cont = c.param("continue");
      ContinueToken token = cont == null || cont.isEmpty() ? null : ContinueToken.decode(cont);
      String rvMatch = c.param("resourceVersionMatch");
      if (rvMatch != null && !rvMatch.isEmpty() && !rvMatch.equals("Exact") && !rvMatch.equals("NotOlderThan")) {
        throw new ApiException(ApiStatus.badRequest("resourceVersionMatch: Unsupported value: \"" + rvMatch
            + "\": supported values: \"Exact\", \"NotOlderThan\""));
      }
      return new ListOptions(c.path().namespace(), LabelSelector.parse(c.param("labelSelector")),
          FieldSelector.parse(c.kind(), c.param("fieldSelector")), limit, token, c.param("resourceVersion"),
          rvMatch == null || rvMatch.isEmpty() ? null : rvMatch);
    } catch (NumberFormatException e) {
      throw new ApiException(ApiStatus.badRequest("limit: must be a non-negative integer, got \"" + c.param("limit")
          + "\""));
    } catch (IllegalArgumentException e) { // SelectorException, bad continue token
      throw new ApiException(ApiStatus.badRequest(e.getMessage()));
    }
  }

  /**
   * The list as kube-apiserver writes it: kind, apiVersion, metadata, then the items, each the
   * object's kept rendering (see {@link StoredObject#json}), so a list copies bytes rather than
   * serializing every object again.
   */
  private byte[] listBody(Call c, ListResult result) {
    String rv = Long.toString(result.resourceVersion());
    if (wantsTable(c)) {
      List<ObjectNode> items = result.items().stream().map(s -> KubeJson.toJson(s.object())).toList();
      return Responses.bytes(TableRenderer.render(c.kind(), c.path().version(), items, rv, result.continueToken(),
          tableNow(c)));
    }
    ObjectNode head = NODES.objectNode();
    head.put("kind", c.kind().kind() + "List");
    head.put("apiVersion", c.apiVersion());
    ObjectNode meta = head.putObject("metadata");
    meta.put("resourceVersion", rv);
    if (result.continueToken() != null) {
      meta.put("continue", result.continueToken());
    }
    if (result.remainingItems() != null) {
      meta.put("remainingItemCount", result.remainingItems());
    }
    byte[] open = Responses.bytes(head);
    int size = open.length + 16;
    List<byte[]> items = result.items().stream().map(c::json).toList();
    for (byte[] item : items) {
      size += item.length + 1;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(size);
    out.write(open, 0, open.length - 1); // without its closing brace
    out.writeBytes(ITEMS_OPEN);
    boolean first = true;
    for (byte[] item : items) {
      if (!first) {
        out.write(',');
      }
      first = false;
      out.writeBytes(item);
    }
    out.writeBytes(ITEMS_CLOSE);
    return out.toByteArray();
  }

  private void watch(Call c) {
    ReadParameters.check(c.ctx().request(), true);
    HistoricalReads.refuse(c.ctx().request(), "watches");
    WatchOptions options;
    try {
      options = new WatchOptions(c.path().namespace(), LabelSelector.parse(c.param("labelSelector")),
          FieldSelector.parse(c.kind(), c.param("fieldSelector")), c.param("resourceVersion"),
          sendInitialEvents(c), c.flag("allowWatchBookmarks"));
    } catch (IllegalArgumentException e) {
      throw new ApiException(ApiStatus.badRequest(e.getMessage()));
    }
    RoutingContext ctx = c.ctx();
    if (ctx.request().canUpgradeToWebSocket()) {
      watchOverWebSocket(c, options);
      return;
    }
    Context context = ctx.vertx().getOrCreateContext();
    var response = ctx.response();
    response.setChunked(true).setStatusCode(200).putHeader("Content-Type", "application/json");
    response.write(Buffer.buffer()); // headers out now: the client knows the watch is established
    AtomicBoolean open = new AtomicBoolean(true);
    WatchHandle[] handle = new WatchHandle[1];
    Runnable finish = () -> {
      if (open.compareAndSet(true, false)) {
        if (handle[0] != null) {
          handle[0].close();
        }
        if (!response.ended() && !response.closed()) {
          response.end();
        }
      }
    };
    response.closeHandler(v -> finish.run());
    handle[0] = store.watch(c.kind(), options, new WatchWriter(context, response, event -> {
      if (!open.get() || response.closed()) {
        return;
      }
      if (!(event instanceof WatchEvent.End)) {
        response.write(Buffer.buffer(watchLine(c, event)));
      }
      if (event instanceof WatchEvent.Error || event instanceof WatchEvent.End) {
        finish.run();
      }
    }));
    String timeout = c.param("timeoutSeconds");
    if (timeout != null && timeout.matches("[0-9]{1,9}") && Long.parseLong(timeout) > 0) {
      ctx.vertx().setTimer(Long.parseLong(timeout) * 1000, t -> finish.run());
    }
  }

  /**
   * A watch over a WebSocket, as kube-apiserver serves one to clients that ask for the upgrade
   * (fabric8 does by default): each event is one text message, the same JSON as a line of the
   * chunked stream; an ERROR event (410 Gone) is followed by a normal close, and so is a watch
   * the cache ends because its client fell too far behind.
   */
  private void watchOverWebSocket(Call c, WatchOptions options) {
    RoutingContext ctx = c.ctx();
    Context context = ctx.vertx().getOrCreateContext();
    ctx.request().toWebSocket().onFailure(e -> Responses.error(ctx, e)).onSuccess(ws -> {
      AtomicBoolean open = new AtomicBoolean(true);
      WatchHandle[] handle = new WatchHandle[1];
      Runnable finish = () -> {
        if (open.compareAndSet(true, false)) {
          if (handle[0] != null) {
            handle[0].close();
          }
          if (!ws.isClosed()) {
            ws.close();
          }
        }
      };
      ws.closeHandler(v -> finish.run());
      ws.exceptionHandler(e -> finish.run());
      // Clients only ever close or ping; anything else they send is ignored.
      ws.textMessageHandler(m -> { });
      ws.binaryMessageHandler(m -> { });
      handle[0] = store.watch(c.kind(), options, new WatchWriter(context, ws, event -> {
        if (!open.get() || ws.isClosed()) {
          return;
        }
        if (!(event instanceof WatchEvent.End)) {
          ws.writeTextMessage(new String(watchLine(c, event), java.nio.charset.StandardCharsets.UTF_8).strip());
        }
        if (event instanceof WatchEvent.Error || event instanceof WatchEvent.End) {
          finish.run();
        }
      }));
      if (!open.get()) {
        handle[0].close();
      }
      String timeout = c.param("timeoutSeconds");
      if (timeout != null && timeout.matches("[0-9]{1,9}") && Long.parseLong(timeout) > 0) {
        ctx.vertx().setTimer(Long.parseLong(timeout) * 1000, t -> finish.run());
      }
    });
  }

  /**
   * As kube-apiserver: without {@code sendInitialEvents}, a watch with resourceVersion unset or
   * "0" starts with the current objects as synthetic ADDED events ("Get State and Start at Most
   * Recent" / "Start at Any"); a watch from a given version does not.
   */
  /**
   * Only when asked: a watch without a version (or "0") starts with the current state as ADDED
   * events anyway, but the {@code k8s.io/initial-events-end} bookmark is for clients that
   * requested {@code sendInitialEvents=true} (watch-list).
   */
  private static boolean sendInitialEvents(Call c) {
    return c.flag("sendInitialEvents");
  }

  private static byte[] watchLine(Call c, WatchEvent event) {
    Kind kind = c.kind();
    if (event instanceof WatchEvent.Added a) {
      return objectLine(WATCH_ADDED, c.json(a.object()));
    } else if (event instanceof WatchEvent.Modified m) {
      return objectLine(WATCH_MODIFIED, c.json(m.object()));
    } else if (event instanceof WatchEvent.Deleted d) {
      return objectLine(WATCH_DELETED, c.json(d.object()));
    }
    ObjectNode line = NODES.objectNode();
    if (event instanceof WatchEvent.Bookmark b) {
      ObjectNode meta = NODES.objectNode().put("resourceVersion", Long.toString(b.resourceVersion()));
      if (b.initialEventsEnd()) {
        meta.putObject("annotations").put("k8s.io/initial-events-end", "true");
      }
      // As kube-apiserver: an object of the watched kind carrying only its resourceVersion.
      ObjectNode object = line.put("type", "BOOKMARK").putObject("object");
      object.put("kind", kind.kind()).put("apiVersion", c.apiVersion()).set("metadata", meta);
    } else if (event instanceof WatchEvent.Error e) {
      line.put("type", "ERROR").set("object", e.status().toJson());
    }
    return (line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static final byte[] WATCH_ADDED = ascii("{\"type\":\"ADDED\",\"object\":");
  private static final byte[] WATCH_MODIFIED = ascii("{\"type\":\"MODIFIED\",\"object\":");
  private static final byte[] WATCH_DELETED = ascii("{\"type\":\"DELETED\",\"object\":");
  private static final byte[] ITEMS_OPEN = ascii(",\"items\":[");
  private static final byte[] ITEMS_CLOSE = ascii("]}");

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** One watch line: the event's type, then the object's rendering shared by every watcher of it. */
  private static byte[] objectLine(byte[] head, byte[] json) {
    byte[] line = new byte[head.length + json.length + 2];
    System.arraycopy(head, 0, line, 0, head.length);
    System.arraycopy(json, 0, line, head.length, json.length);
    line[line.length - 2] = '}';
    line[line.length - 1] = '\n';
    return line;
  }

  // ---- writes ----

  private void create(Call c) {
    ObjectNode body = requireBody(c, BODY_TYPES);
    Converted<IndexedRecord> converted = convert(c, body);
    IndexedRecord object = converted.object();
    ObjectMeta meta = metadata(object);
    checkNamespace(c, meta);
    if ((meta.getName() == null || meta.getName().isEmpty()) && meta.getGenerateName() != null
        && !meta.getGenerateName().isEmpty()) {
      meta.setName(generateName(meta.getGenerateName()));
    }
    defaultAndValidate(c, object);
    warnUnknown(c, converted);
    replyJson(c, store.create(c.kind(), object, writeOptions(c)), c::json, 201);
  }

  private void update(Call c, boolean status) {
    ObjectNode body = requireBody(c, BODY_TYPES);
    Converted<IndexedRecord> converted = convert(c, body);
    IndexedRecord object = converted.object();
    ObjectMeta meta = metadata(object);
    checkNamespace(c, meta);
    if (meta.getName() == null || !meta.getName().equals(c.path().name())) {
      throw new ApiException(ApiStatus.badRequest("the name of the object (" + meta.getName()
          + ") does not match the name on the URL (" + c.path().name() + ")"));
    }
    defaultAndValidate(c, object);
    warnUnknown(c, converted);
    CompletionStage<StoredObject> result = status
        ? store.updateStatus(c.kind(), object, writeOptions(c))
        : store.update(c.kind(), object, writeOptions(c));
    replyJson(c, result, c::json, 200);
  }

  /**
   * Applies the patch to the current object and stores it as an update at the current
   * resourceVersion; on a conflict (someone wrote in between) it re-reads and re-applies, as
   * kube-apiserver does for patches without a resourceVersion of their own.
   */
  private void patch(Call c, boolean status) {
    String contentType = c.ctx().request().getHeader("Content-Type");
    if (isApply(contentType)) {
      apply(c, status);
      return;
    }
    PatchType type = patchType(contentType);
    if (type == PatchType.STRATEGIC_MERGE_PATCH && c.kind().custom()) {
      // As kube-apiserver for custom resources: their schemas carry no patch strategies.
      throw new ApiException(ApiStatus.unsupportedMediaType(null, CUSTOM_PATCH_TYPES));
    }
    JsonNode patch = parseBody(c);
    boolean pinned = patchPinsVersion(patch);
    // The processor redoes a patch on the stored version's JSON; one in a converted version
    // (autoscaling/v1) is redone here instead, on the object converted again.
    boolean rebased = !pinned && c.conversion().isEmpty();
    WriteOptions options = rebased ? writeOptions(c).withPatch(type, patch) : writeOptions(c);
    Future<StoredObject> result = untilNoConflict(c, () -> patchOnce(c, type, patch, status, options), !pinned);
    replyJson(c, result.toCompletionStage(), c::json, 200);
  }

  /**
   * Runs {@code attempt}; when {@code redo} and it fails with a Conflict, runs it again (each run
   * re-reads the object) until it lands, fails otherwise, or {@link #CONFLICT_RETRY_MS} has passed.
   */
  private static <T> Future<T> untilNoConflict(Call c, Supplier<Future<T>> attempt, boolean redo) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONFLICT_RETRY_MS);
    return redoOnConflict(c, attempt, redo, deadline, 1);
  }

  private static <T> Future<T> redoOnConflict(Call c, Supplier<Future<T>> attempt, boolean redo,
      long deadline, int n) {
    return attempt.get().recover(e -> {
      if (!redo || !isConflict(e) || System.nanoTime() >= deadline) {
        return Future.failedFuture(e);
      }
      long pause = Math.min(CONFLICT_PAUSE_MS * n, CONFLICT_PAUSE_MAX_MS);
      return afterPause(c, pause).compose(v -> redoOnConflict(c, attempt, redo, deadline, n + 1));
    });
  }

  /** The patch format of a Content-Type; 415 naming the supported ones otherwise. */
  private static PatchType patchType(String contentType) {
    return PatchType.byMediaType(contentType).orElseThrow(() -> new ApiException(
        ApiStatus.unsupportedMediaType(contentType, PATCH_TYPES)));
  }

  private static boolean isApply(String contentType) {
    String bare = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return bare.equals(APPLY_PATCH);
  }

  /**
   * Server-side apply (PATCH of application/apply-patch+yaml, YAML or JSON): checked here for
   * what the URL says, then merged, conflict-checked and recorded by the single writer against
   * the stored object (FieldOwnership), so it never retries; Secrets and RBAC objects are merged
   * here instead (ApplyInGateway). 201 when it created the object.
   */
  private void apply(Call c, boolean status) {
    String manager = applyManager(c);
    ObjectNode config = applyConfiguration(c);
    String apiVersion = config.path("apiVersion").asText("");
    String kindName = config.path("kind").asText("");
    String expected = c.kind().apiVersion(c.path().version());
    if (apiVersion.isEmpty() || kindName.isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("the apply configuration must set apiVersion and kind"
          + " (expected apiVersion \"" + expected + "\" and kind \"" + c.kind().kind() + "\")"));
    }
    if (!apiVersion.equals(expected) || !kindName.equals(c.kind().kind())) {
      throw new ApiException(ApiStatus.badRequest("the apply configuration is a " + apiVersion + " " + kindName
          + ", but this URL serves " + expected + " " + c.kind().kind()));
    }
    JsonNode meta = config.path("metadata");
    String name = meta.path("name").asText("");
    if (!name.isEmpty() && !name.equals(c.path().name())) {
      throw new ApiException(ApiStatus.badRequest("the name of the object (" + name
          + ") does not match the name on the URL (" + c.path().name() + ")"));
    }
    String namespace = meta.path("namespace").asText("");
    if (c.kind().namespaced() && !namespace.isEmpty() && !namespace.equals(c.path().namespace())) {
      throw new ApiException(ApiStatus.badRequest("the namespace of the provided object (" + namespace
          + ") does not match the namespace sent on the request (" + c.path().namespace() + ")"));
    }
    if (meta.has("managedFields") && !meta.get("managedFields").isNull()) {
      throw new ApiException(ApiStatus.badRequest("metadata.managedFields must be nil in an apply configuration"));
    }
    // Applied in a converted version (autoscaling/v1), the configuration is merged in the stored one's terms.
    ObjectNode applied = c.conversion().map(conversion -> conversion.toStorage(config)).orElse(config);
    Context context = c.ctx().vertx().getOrCreateContext();
    if (ApplyInGateway.mergesHere(c.kind())) {
      replyApplied(c, untilNoConflict(c, () -> applyHereOnce(c, applied, manager, ""), true)
          .recover(e -> Future.failedFuture(e instanceof PinnedConflict p ? p.getCause() : e)));
      return;
    }
    replyApplied(c, Future.fromCompletionStage(store.apply(c.kind(), c.path().namespace(), c.path().name(), applied,
        status, c.flag("force"), writeOptions(c)), context));
  }

  /**
   * One try of an apply merged here (ApplyInGateway): read, merge, check as a create or update
   * would be, write at the version read. A field conflict is the client's (not tried again); a
   * write in between, or a create that lost a race, is a Conflict and another try.
   */
  private Future<ResourceStore.Applied> applyHereOnce(Call c, ObjectNode config, String manager, String subresource) {
    Context context = c.ctx().vertx().getOrCreateContext();
    return Future.fromCompletionStage(current(c), context)
        .recover(e -> hasCode(e, 404, "NotFound") ? Future.succeededFuture(null) : Future.failedFuture(e))
        .compose(stored -> applyHereTo(c, stored, config, manager, subresource, context));
  }

  private Future<ResourceStore.Applied> applyHereTo(Call c, StoredObject stored, ObjectNode config, String manager,
      String subresource, Context context) {
    if (stored == null && !subresource.isEmpty()) {
      return Future.failedFuture(new ApiException(ApiStatus.notFound(c.kind().group(), c.kind().plural(),
          c.path().name())));
    }
    ApplyInGateway.Merged merged;
    try {
      merged = ApplyInGateway.merge(c.kind(), stored == null ? null : stored.object(), c.path().namespace(),
          c.path().name(), config.deepCopy(), manager, subresource, c.flag("force"), clock.instant());
    } catch (ApiException conflict) {
      return Future.failedFuture(new PinnedConflict(conflict));
    }
    Converted<IndexedRecord> converted = convert(c, merged.object());
    IndexedRecord object = converted.object();
    checkNamespace(c, metadata(object));
    defaultAndValidate(c, object);
    warnUnknown(c, converted);
    merged.own(object);
    // Ownership travels in the object: the write itself names no manager, so it records no Update entry.
    WriteOptions options = new WriteOptions(c.actor(), dryRun(c), null);
    if (stored == null) {
      return Future.fromCompletionStage(store.create(c.kind(), object, options), context)
          .map(s -> new ResourceStore.Applied(s, true))
          .recover(e -> Future.failedFuture(hasCode(e, 409, "AlreadyExists") // created in between: merge with it
              ? new ApiException(ApiStatus.conflict(c.kind().group(), c.kind().plural(), c.path().name(),
                  "the object was created meanwhile")) : e));
    }
    return Future.fromCompletionStage(store.update(c.kind(), object, options), context)
        .map(s -> new ResourceStore.Applied(s, false));
  }

  /**
   * Server-side apply of a workload's Scale ({@code autoscaling/v1}): the replicas it names are
   * applied to the workload by the manager as the {@code scale} subresource, with an ownership
   * entry of its own, merged here (ApplyInGateway); a Scale without replicas gives up the
   * manager's. 404 when the workload is absent (an apply to a subresource creates nothing).
   */
  private void applyScale(Call c) {
    String manager = applyManager(c);
    ObjectNode scale = applyConfiguration(c);
    String apiVersion = scale.path("apiVersion").asText("");
    String kindName = scale.path("kind").asText("");
    if (!apiVersion.equals("autoscaling/v1") || !kindName.equals("Scale")) {
      throw new ApiException(ApiStatus.badRequest("the apply configuration is a " + apiVersion + " " + kindName
          + ", but this URL serves autoscaling/v1 Scale"));
    }
    int replicas = ScaleView.replicas(scale, c.kind(), c.path().name());
    ObjectNode config = KubeJson.jsonMapper().createObjectNode();
    config.put("apiVersion", c.kind().apiVersion());
    config.put("kind", c.kind().kind());
    config.withObjectProperty("metadata").put("name", c.path().name());
    if (scale.path("spec").hasNonNull("replicas")) {
      ScaleView.setReplicas(c.kind(), config, replicas);
    }
    reply(c, untilNoConflict(c, () -> applyHereOnce(c, config, manager, "scale"), true)
        .recover(e -> Future.failedFuture(e instanceof PinnedConflict p ? p.getCause() : e))
        .map(ResourceStore.Applied::stored).toCompletionStage(),
        s -> ScaleView.of(c.kind(), KubeJson.toJson(s.object())), 200);
  }

  /** An apply's field manager: required (400). */
  private static String applyManager(Call c) {
    String manager = c.param("fieldManager");
    if (manager == null || manager.isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("PATCH requests with apply patch type must have a fieldManager"));
    }
    return manager;
  }

  /** An apply's body, YAML or JSON: an object (400 otherwise). */
  private static ObjectNode applyConfiguration(Call c) {
    JsonNode body;
    try {
      body = parseBody(c);
    } catch (ConversionException e) {
      throw new ApiException(ApiStatus.badRequest("error decoding YAML: " + e.getMessage()));
    }
    if (!(body instanceof ObjectNode config)) {
      throw new ApiException(ApiStatus.badRequest("the apply configuration must be an object, got "
          + body.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    return config;
  }

  private static boolean hasCode(Throwable e, int code, String reason) {
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e instanceof ApiException api && api.status().code() == code && api.status().reason().equals(reason);
  }

  private static void replyApplied(Call c, Future<ResourceStore.Applied> result) {
    result.onComplete(ar -> {
      try {
        if (ar.succeeded()) {
          Responses.json(c.ctx(), ar.result().created() ? 201 : 200, c.json(ar.result().stored()));
        } else {
          Responses.error(c.ctx(), ar.cause());
        }
      } catch (Throwable e) {
        Responses.error(c.ctx(), e);
      }
    });
  }

  private static Future<Void> afterPause(Call c, long ms) {
    return c.ctx().vertx().timer(ms).mapEmpty();
  }

  private static boolean patchPinsVersion(JsonNode patch) {
    return patch.isObject() && patch.path("metadata").hasNonNull("resourceVersion");
  }

  private Future<StoredObject> patchOnce(Call c, PatchType type, JsonNode patch, boolean status,
      WriteOptions options) {
    Context context = c.ctx().vertx().getOrCreateContext();
    return Future.fromCompletionStage(current(c), context)
        .compose(current -> {
          ObjectNode stored = KubeJson.toJson(current.object());
          ObjectNode before = c.conversion().map(conversion -> conversion.toServed(stored)).orElse(stored);
          ObjectNode after = type.apply(c.kind().schema(), before, patch);
          Converted<IndexedRecord> converted = convert(c, after);
          IndexedRecord object = converted.object();
          ObjectMeta meta = metadata(object);
          checkNamespace(c, meta);
          if (!c.path().name().equals(meta.getName())) {
            throw new ApiException(ApiStatus.badRequest("metadata.name: the patch changes the name from \""
                + c.path().name() + "\" to \"" + meta.getName() + "\", which is not allowed"));
          }
          if (meta.getResourceVersion() == null) {
            meta.setResourceVersion(Long.toString(current.resourceVersion()));
          }
          defaultAndValidate(c, object);
          warnUnknown(c, converted);
          return Future.fromCompletionStage(status
              ? store.updateStatus(c.kind(), object, options)
              : store.update(c.kind(), object, options), context);
        });
  }

  private void deleteCollection(Call c) {
    ListOptions options = listOptions(c);
    DeleteRequest request = deleteRequest(c);
    Context context = c.ctx().vertx().getOrCreateContext();
    Future<ListResult> listed = Future.fromCompletionStage(store.list(c.kind(), options), context);
    Future<byte[]> deleted = listed.compose(result -> {
      List<Future<StoredObject>> each = new ArrayList<>();
      for (StoredObject s : result.items()) {
        ObjectMeta meta = metadata(s.object());
        each.add(Future.fromCompletionStage(store.delete(c.kind(), meta.getNamespace(), meta.getName(), request),
            context));
      }
      return Future.all(each).map(all -> {
        List<StoredObject> gone = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
          gone.add(all.resultAt(i));
        }
        return listBody(c, new ListResult(gone, result.resourceVersion(), null, null));
      });
    });
    replyJson(c, deleted.toCompletionStage(), Function.identity(), 200);
  }

  private DeleteRequest deleteRequest(Call c) {
    String propagation = c.param("propagationPolicy");
    Long grace = null;
    String uid = null;
    String rv = null;
    Buffer body = c.ctx().body() == null ? null : c.ctx().body().buffer();
    if (body != null && body.length() > 0) {
      DeleteOptionsBody options = DeleteOptionsBody.parse(body.toString());
      if (options.propagationPolicy() != null) {
        propagation = options.propagationPolicy();
      }
      grace = options.gracePeriodSeconds();
      if (options.orphanDependents() && propagation == null) {
        propagation = "Orphan";
      }
      uid = options.uid();
      rv = options.resourceVersion();
    }
    if (c.param("gracePeriodSeconds") != null) {
      try {
        grace = Long.parseLong(c.param("gracePeriodSeconds"));
      } catch (NumberFormatException e) {
        throw new ApiException(ApiStatus.badRequest("gracePeriodSeconds: must be an integer"));
      }
    }
    if (propagation == null) {
      propagation = "Background";
    }
    if (!List.of("Orphan", "Background", "Foreground").contains(propagation)) {
      throw new ApiException(ApiStatus.badRequest("propagationPolicy: Unsupported value: \"" + propagation
          + "\": supported values: \"Background\", \"Foreground\", \"Orphan\""));
    }
    return new DeleteRequest(c.actor(), dryRun(c), propagation, grace, uid, rv);
  }

  // ---- subresources ----

  private void subresource(Call c, HttpMethod method, String sub) {
    switch (sub) {
      case "status" -> {
        if (!c.kind().hasStatus()) {
          throw new ApiException(ApiStatus.noSuchPath());
        }
        if (method == HttpMethod.GET) {
          verb(c, "GET");
          replyJson(c, stored(c), c::json, 200);
        } else if (method == HttpMethod.PUT) {
          verb(c, "PUT");
          update(c, true);
        } else if (method == HttpMethod.PATCH) {
          verb(c, "PATCH");
          patch(c, true);
        } else {
          throw new ApiException(ApiStatus.methodNotAllowed(method.name(), c.kind().plural() + "/status"));
        }
      }
      case "log" -> {
        if (c.kind() != Kinds.POD) {
          throw new ApiException(ApiStatus.noSuchPath());
        }
        if (method != HttpMethod.GET) {
          throw new ApiException(ApiStatus.methodNotAllowed(method.name(), "pods/log"));
        }
        verb(c, "GET");
        logs.serve(c.ctx(), c.path().namespace(), c.path().name());
      }
      case "exec", "attach", "portforward" -> {
        if (c.kind() != Kinds.POD || streams == null) {
          throw new ApiException(ApiStatus.noSuchPath());
        }
        if (method != HttpMethod.GET && method != HttpMethod.POST) {
          throw new ApiException(ApiStatus.methodNotAllowed(method.name(), "pods/" + sub));
        }
        verb(c, "CONNECT");
        streams.serve(c.ctx(), c.path().namespace(), c.path().name(), sub);
      }
      case "scale" -> {
        if (!ScaleView.serves(c.kind())) {
          throw new ApiException(ApiStatus.noSuchPath());
        }
        if (method == HttpMethod.GET) {
          verb(c, "GET");
          reply(c, stored(c),
              s -> ScaleView.of(c.kind(), KubeJson.toJson(s.object())), 200);
        } else if (method == HttpMethod.PUT) {
          verb(c, "PUT");
          JsonNode scale = requireBody(c, BODY_TYPES);
          ScaleView.replicas(scale, c.kind(), c.path().name());
          reply(c, scaleTo(c, current -> scale), s -> ScaleView.of(c.kind(), KubeJson.toJson(s.object())), 200);
        } else if (method == HttpMethod.PATCH && isApply(c.ctx().request().getHeader("Content-Type"))) {
          verb(c, "PATCH");
          applyScale(c);
        } else if (method == HttpMethod.PATCH) {
          verb(c, "PATCH");
          PatchType type = patchType(c.ctx().request().getHeader("Content-Type"));
          JsonNode patch = parseBody(c);
          // A Scale has no lists with merge keys: its strategic merge patch is a merge patch.
          PatchType effective = type == PatchType.STRATEGIC_MERGE_PATCH ? PatchType.MERGE_PATCH : type;
          reply(c, scaleTo(c, current -> effective.apply(null, ScaleView.of(c.kind(), current), patch)),
              s -> ScaleView.of(c.kind(), KubeJson.toJson(s.object())), 200);
        } else {
          throw new ApiException(ApiStatus.methodNotAllowed(method.name(), c.kind().plural() + "/scale"));
        }
      }
      case "ephemeralcontainers" -> {
        if (c.kind() != Kinds.POD) {
          throw new ApiException(ApiStatus.noSuchPath());
        }
        if (method == HttpMethod.GET) {
          verb(c, "GET");
          replyJson(c, stored(c), c::json, 200);
        } else if (method == HttpMethod.PUT) {
          verb(c, "PUT");
          ObjectNode body = requireBody(c, BODY_TYPES);
          String name = body.path("metadata").path("name").asText("");
          if (!name.equals(c.path().name())) {
            throw new ApiException(ApiStatus.badRequest("the name of the object (" + name
                + ") does not match the name on the URL (" + c.path().name() + ")"));
          }
          boolean pinned = body.path("metadata").hasNonNull("resourceVersion");
          replyJson(c, untilNoConflict(c, () -> addEphemeralContainers(c, current -> body), !pinned)
              .toCompletionStage(), c::json, 200);
        } else if (method == HttpMethod.PATCH) {
          verb(c, "PATCH");
          PatchType type = patchType(c.ctx().request().getHeader("Content-Type"));
          JsonNode patch = parseBody(c);
          replyJson(c, untilNoConflict(c, () -> addEphemeralContainers(c,
              current -> type.apply(c.kind().schema(), current.deepCopy(), patch)), !patchPinsVersion(patch))
              .toCompletionStage(), c::json, 200);
        } else {
          throw new ApiException(ApiStatus.methodNotAllowed(method.name(), "pods/ephemeralcontainers"));
        }
      }
      case "binding" -> {
        if (c.kind() != Kinds.POD) {
          throw new ApiException(ApiStatus.noSuchPath());
        }
        if (method != HttpMethod.POST) {
          throw new ApiException(ApiStatus.methodNotAllowed(method.name(), "pods/binding"));
        }
        verb(c, "POST");
        bind(c);
      }
      default -> throw new ApiException(ApiStatus.noSuchPath());
    }
  }

  /**
   * Sets the workload's {@code spec.replicas} to what the Scale {@code scaleFor(current)} asks,
   * as an update at the Scale's resourceVersion; without one, a conflict re-reads and retries
   * (the scale storage's unconditional update).
   */
  private CompletionStage<StoredObject> scaleTo(Call c, Function<ObjectNode, JsonNode> scaleFor) {
    Context context = c.ctx().vertx().getOrCreateContext();
    Supplier<Future<StoredObject>> once = () ->
        Future.fromCompletionStage(current(c), context)
            .compose(current -> {
              ObjectNode workload = KubeJson.toJson(current.object());
              JsonNode scale = scaleFor.apply(workload);
              int replicas = ScaleView.replicas(scale, c.kind(), c.path().name());
              String pinned = ScaleView.resourceVersion(scale);
              ScaleView.setReplicas(c.kind(), workload, replicas);
              workload.withObjectProperty("metadata").put("resourceVersion",
                  pinned != null ? pinned : Long.toString(current.resourceVersion()));
              IndexedRecord object = convert(c, workload).object();
              defaultAndValidate(c, object);
              // Unpinned, the processor may set the replicas on a newer version itself.
              ObjectNode replicasPatch = KubeJson.jsonMapper().createObjectNode();
              ScaleView.setReplicas(c.kind(), replicasPatch, replicas);
              WriteOptions options = pinned != null ? writeOptions(c) : writeOptions(c).withPatch(
                  PatchType.MERGE_PATCH, replicasPatch);
              return Future.fromCompletionStage(store.update(c.kind(), object, options), context)
                  .recover(e -> Future.failedFuture(pinned != null && isConflict(e) ? new PinnedConflict(e) : e));
            });
    return untilNoConflict(c, once, true)
        .recover(e -> Future.failedFuture(e instanceof PinnedConflict p ? p.getCause() : e))
        .toCompletionStage();
  }

  /**
   * {@code pods/{name}/ephemeralcontainers}, PUT or PATCH: as kube-apiserver's ephemeral containers
   * strategy, the stored pod with only {@code spec.ephemeralContainers} taken from the pod the
   * request makes of it ({@code podFor(current)}); any other change in it is dropped. That pod is
   * defaulted and validated here; that existing entries are unchanged is checked by the processor
   * against the pod it stores.
   */
  private Future<StoredObject> addEphemeralContainers(Call c, Function<ObjectNode, JsonNode> podFor) {
    Context context = c.ctx().vertx().getOrCreateContext();
    return Future.fromCompletionStage(current(c), context)
        .compose(current -> {
          ObjectNode stored = KubeJson.toJson(current.object());
          JsonNode sent = podFor.apply(stored);
          ObjectNode pod = stored.deepCopy();
          JsonNode ephemeral = sent.path("spec").path("ephemeralContainers");
          if (ephemeral.isMissingNode() || ephemeral.isNull()) {
            pod.withObjectProperty("spec").remove("ephemeralContainers");
          } else {
            pod.withObjectProperty("spec").set("ephemeralContainers", ephemeral);
          }
          String pinned = sent.path("metadata").path("resourceVersion").asText("");
          pod.withObjectProperty("metadata").put("resourceVersion",
              pinned.isEmpty() ? Long.toString(current.resourceVersion()) : pinned);
          IndexedRecord object = convert(c, pod).object();
          defaultAndValidate(c, object);
          return Future.fromCompletionStage(store.updateEphemeralContainers(object, writeOptions(c)), context);
        });
  }

  /** A conflict at the resourceVersion the client's Scale named: the client's to resolve, not ours. */
  private static final class PinnedConflict extends RuntimeException {
    PinnedConflict(Throwable conflict) {
      super(conflict);
    }
  }

  private static boolean isConflict(Throwable e) {
    return hasCode(e, 409, "Conflict");
  }

  /**
   * {@code POST pods/{name}/binding}: a v1 Binding whose {@code target} names the node. As the
   * pod registry's BindingREST, the answer is a Success Status with code 201, not the pod.
   */
  private void bind(Call c) {
    ObjectNode binding = requireBody(c, BODY_TYPES);
    String sentKind = binding.path("kind").asText("");
    if (!sentKind.isEmpty() && !sentKind.equals("Binding")) {
      throw new ApiException(ApiStatus.badRequest("the body of a pods/binding request must be a v1 Binding, not a "
          + sentKind));
    }
    String name = binding.path("metadata").path("name").asText("");
    if (!name.isEmpty() && !name.equals(c.path().name())) {
      throw new ApiException(ApiStatus.badRequest("name in URL does not match name in Binding object"));
    }
    String namespace = binding.path("metadata").path("namespace").asText("");
    if (!namespace.isEmpty() && !namespace.equals(c.path().namespace())) {
      throw new ApiException(ApiStatus.badRequest("the namespace of the provided object (" + namespace
          + ") does not match the namespace sent on the request (" + c.path().namespace() + ")"));
    }
    String targetKind = binding.path("target").path("kind").asText("");
    if (!targetKind.isEmpty() && !targetKind.equals("Node")) {
      throw new ApiException(ApiStatus.invalid("", "Binding", c.path().name(), List.of(new FieldError(
          "target.kind", "FieldValueNotSupported", "Unsupported value: \"" + targetKind
              + "\": supported values: \"Node\""))));
    }
    String node = binding.path("target").path("name").asText("");
    if (node.isEmpty()) {
      throw new ApiException(ApiStatus.invalid("", "Binding", c.path().name(), List.of(new FieldError(
          "target.name", "FieldValueRequired", "Required value"))));
    }
    reply(c, store.bind(c.path().namespace(), c.path().name(), node, writeOptions(c)), s -> {
      ObjectNode status = NODES.objectNode();
      status.put("kind", "Status").put("apiVersion", "v1").putObject("metadata");
      status.put("status", "Success").put("code", 201);
      return status;
    }, 201);
  }

  // ---- helpers ----

  private ObjectNode requireBody(Call c, List<String> types) {
    String contentType = c.ctx().request().getHeader("Content-Type");
    String bare = RequestMediaType.of(c.ctx().request());
    if (bare.equals(PROTOBUF)) {
      return protobufBody(c);
    }
    if (!types.contains(bare)) {
      throw new ApiException(ApiStatus.unsupportedMediaType(contentType, types));
    }
    JsonNode body = parseBody(c);
    if (!body.isObject()) {
      throw new ApiException(ApiStatus.badRequest("the request body must be a JSON object, got "
          + body.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    return (ObjectNode) body;
  }

  /**
   * A Kubernetes protobuf body (kubectl's generator commands send one) decoded to the JSON tree
   * the rest of the write path takes. Protobuf fields the table does not know are handled as
   * unknown JSON fields are: an error under fieldValidation=Strict, a warning under Warn.
   */
  private static ObjectNode protobufBody(Call c) {
    Buffer body = c.ctx().body() == null ? null : c.ctx().body().buffer();
    if (body == null || body.length() == 0) {
      throw new ApiException(ApiStatus.badRequest("the request body is empty"));
    }
    KubernetesProtobuf.Decoded decoded = PROTOBUF_BODIES.decode(body.getBytes(), c.kind());
    String mode = fieldValidation(c);
    if (mode.equals("Strict") && !decoded.unknownFields().isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("strict decoding error: "
          + String.join(", ", decoded.unknownFieldWarnings())));
    }
    if (mode.equals("Warn")) {
      for (String w : decoded.unknownFieldWarnings()) {
        c.ctx().response().headers().add("Warning", "299 - \"" + w.replace("\"", "\\\"") + "\"");
      }
    }
    return decoded.object();
  }

  private static JsonNode parseBody(Call c) {
    Buffer body = c.ctx().body() == null ? null : c.ctx().body().buffer();
    if (body == null || body.length() == 0) {
      throw new ApiException(ApiStatus.badRequest("the request body is empty"));
    }
    return KubeJson.parse(body.toString());
  }

  /** JSON to the kind's record; unknown fields fail here under fieldValidation=Strict. */
  private Converted<IndexedRecord> convert(Call c, ObjectNode json) {
    if (c.conversion().isPresent() && !json.hasNonNull("apiVersion")) {
      json.put("apiVersion", c.apiVersion()); // so KubeJson converts it from the URL's version
    }
    if (c.kind().custom()) {
      // Checked against the OpenAPI schema before conversion, so a wrong type is the 422 with its path
      // that kube-apiserver gives, not a decoding error (the single writer checks again).
      CustomObjects.applyDefaults(c.openApiSchema(), json); // as kube-apiserver defaults a request's object
      List<FieldError> errors = CustomObjects.validate(c.openApiSchema(), json);
      if (!errors.isEmpty()) {
        throw new ApiException(ApiStatus.invalid(c.kind().group(), c.kind().kind(),
            json.path("metadata").path("name").asText(c.path().name()), errors));
      }
    }
    Converted<IndexedRecord> converted = KubeJson.fromJson(c.kind(), json);
    String mode = fieldValidation(c);
    if (mode.equals("Strict") && converted.hasUnknownFields()) {
      throw new ApiException(ApiStatus.badRequest("strict decoding error: "
          + String.join(", ", converted.unknownFieldWarnings())));
    }
    return converted;
  }

  private static String fieldValidation(Call c) {
    String mode = c.param("fieldValidation");
    if (mode == null || mode.isEmpty()) {
      return "Warn";
    }
    if (!List.of("Ignore", "Warn", "Strict").contains(mode)) {
      throw new ApiException(ApiStatus.badRequest("fieldValidation: Unsupported value: \"" + mode
          + "\": supported values: \"Ignore\", \"Strict\", \"Warn\""));
    }
    return mode;
  }

  /** Kubernetes' Warning header (code 299), which kubectl prints as "Warning: ...". */
  private static void warnUnknown(Call c, Converted<?> converted) {
    if (fieldValidation(c).equals("Warn")) {
      for (String w : converted.unknownFieldWarnings()) {
        c.ctx().response().headers().add("Warning", "299 - \"" + w.replace("\"", "\\\"") + "\"");
      }
    }
  }

  private static void checkNamespace(Call c, ObjectMeta meta) {
    if (!c.kind().namespaced()) {
      return;
    }
    String urlNamespace = c.path().namespace();
    if (urlNamespace == null) {
      throw new ApiException(ApiStatus.noSuchPath());
    }
    if (meta.getNamespace() == null || meta.getNamespace().isEmpty()) {
      meta.setNamespace(urlNamespace);
    } else if (!meta.getNamespace().equals(urlNamespace)) {
      throw new ApiException(ApiStatus.badRequest("the namespace of the provided object (" + meta.getNamespace()
          + ") does not match the namespace sent on the request (" + urlNamespace + ")"));
    }
  }

  /**
   * Fills in the kind's defaults, then validates, as kube-apiserver decodes a body (defaulting on
   * decode) before its strategy validates: a field left to its default is not reported missing.
   * The command processor defaults again on the object it stores (idempotent).
   */
  private void defaultAndValidate(Call c, IndexedRecord object) {
    ObjectDefaults.apply(object);
    List<FieldError> errors = ObjectValidator.validate(c.kind(), object);
    if (!errors.isEmpty() && c.conversion().isPresent()) {
      Conversions.Conversion conversion = c.conversion().get();
      errors = errors.stream().map(e -> new FieldError(conversion.servedPath(e.field()), e.reason(), e.message()))
          .toList();
    }
    if (!errors.isEmpty()) {
      throw new ApiException(ApiStatus.invalid(c.kind().group(), c.kind().kind(), metadata(object).getName(), errors));
    }
    admission.admit(c.ctx().get(Authentication.USER), c.kind(), object);
  }

  private static WriteOptions writeOptions(Call c) {
    return new WriteOptions(c.actor(), dryRun(c), fieldManager(c));
  }

  /** The longest field manager kube-apiserver takes. */
  private static final int MAX_FIELD_MANAGER = 128;

  /**
   * The write's field manager: the fieldManager parameter, else the User-Agent up to its first
   * "/" (kubectl/v1.31.0 ... is "kubectl"), as kube-apiserver's prefixFromUserAgent.
   */
  static String fieldManager(Call c) {
    String manager = c.param("fieldManager");
    if (manager != null && !manager.isEmpty()) {
      if (manager.length() > MAX_FIELD_MANAGER) {
        throw new ApiException(ApiStatus.badRequest("fieldManager: Too long: may not be more than "
            + MAX_FIELD_MANAGER + " bytes"));
      }
      return manager;
    }
    String agent = c.ctx().request().getHeader("User-Agent");
    if (agent == null || agent.isEmpty()) {
      return "unknown";
    }
    String prefix = agent.split("/", 2)[0];
    return prefix.length() > MAX_FIELD_MANAGER ? prefix.substring(0, MAX_FIELD_MANAGER) : prefix;
  }

  private static boolean dryRun(Call c) {
    String dryRun = c.param("dryRun");
    if (dryRun == null || dryRun.isEmpty()) {
      return false;
    }
    if (!dryRun.equals("All")) {
      throw new ApiException(ApiStatus.badRequest("dryRun: Unsupported value: \"" + dryRun
          + "\": supported values: \"All\""));
    }
    return true;
  }

  static ObjectMeta metadata(IndexedRecord object) {
    return (ObjectMeta) object.get(object.getSchema().getField("metadata").pos());
  }

  static String generateName(String prefix) {
    StringBuilder name = new StringBuilder(prefix);
    for (int i = 0; i < 5; i++) {
      name.append(GENERATE_NAME_ALPHABET.charAt(RANDOM.nextInt(GENERATE_NAME_ALPHABET.length())));
    }
    return name.toString();
  }

  /** Writes the store's answer, already JSON bytes, (or its Status error) back on the request's context. */
  private <T> void replyJson(Call c, CompletionStage<T> result, Function<T, byte[]> body, int code) {
    Context context = c.ctx().vertx().getOrCreateContext();
    Future.fromCompletionStage(result, context).onComplete(ar -> {
      try {
        if (ar.succeeded()) {
          Responses.json(c.ctx(), code, body.apply(ar.result()));
        } else {
          Responses.error(c.ctx(), ar.cause());
        }
      } catch (Throwable e) {
        Responses.error(c.ctx(), e);
      }
    });
  }

  /** Writes the store's answer (or its Status error) back on the request's context. */
  private <T> void reply(Call c, CompletionStage<T> result, Function<T, ? extends JsonNode> body, int code) {
    replyJson(c, result, t -> Responses.bytes(body.apply(t)), code);
  }

}
