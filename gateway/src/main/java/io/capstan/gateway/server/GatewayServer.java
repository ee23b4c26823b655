package io.capstan.gateway.server;

import io.capstan.gateway.discovery.ApiDiscovery;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.openapi.LiveOpenApiDocuments;
import io.capstan.gateway.openapi.OpenApiHandler;
import io.capstan.gateway.security.AdminToken;
import io.capstan.gateway.security.BearerTokenAuthenticator;
import io.capstan.gateway.security.CertificateAuthority;
import io.capstan.gateway.security.Authorizer;
import io.capstan.gateway.security.ClientCertificateAuthenticator;
import io.capstan.gateway.security.Impersonation;
import io.capstan.gateway.security.ServiceAccountTokens;
import io.capstan.gateway.security.SystemMastersAuthorizer;
import io.capstan.gateway.security.KubeconfigWriter;
import io.capstan.gateway.security.TokenFile;
import io.capstan.gateway.store.ResourceStore;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.gateway.threads.ThreadNice;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway verticle: one HTTPS (or, with --insecure-http, HTTP) server whose router runs, in
 * order: the slow-client deadlines ({@link ClientDeadlines}), request metrics, the web console's
 * files at {@code /ui/} ({@link ConsoleFiles}, public: its data are API calls), authentication
 * (client certificate, bearer token, ServiceAccount token, then impersonation), authorization, the
 * probes and {@code /version}, {@code /metrics}, {@code /openapi/v3}, the body-size limit (413), the
 * authentication API (TokenRequest, TokenReview, SelfSubjectReview), the access reviews, the
 * console's timeline ({@link ConsoleTimeline}) and the REST
 * verbs on {@code /api} and {@code /apis}; anything else is a 404 Status. Objects are read and written
 * through the {@link ResourceStore} it is given.
 *
 * <p>{@link #prepare} does the blocking first-start work (certificates, admin token, token file)
 * on the caller's thread; {@link #start()} listens and then writes {@code DATA_DIR/kubeconfig}
 * for the port actually bound.
 */
public final class GatewayServer extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

  private static final int SHARED_FREE_PORT = -1;

  private final GatewayConfig config;
  private final ResourceStore store;
  private final MeterRegistry registry;
  private final CertificateAuthority.PkiFiles pki;
  private final BearerTokenAuthenticator authenticator;
  private final String adminToken;
  private final CertificateAuthority.ClientCertFiles kubeletClient;
  private ResourceMetricsApi resourceMetrics;
  private final CertificateAuthority.ClientCertFiles adminClient;
  private final ServiceAccountTokens serviceAccountTokens;
  private final LiveOpenApiDocuments openApi;
  private final ApiDiscovery discovery;
  private final io.capstan.gateway.security.Authorizer authorizer;
  /** The RBAC authorizer when authorization is RBAC (rules reviews, escalation checks); null otherwise. */
  private final io.capstan.gateway.security.rbac.RbacAuthorizer rbac;
  private volatile HttpServer server;
  private volatile ClientDeadlines.Timeouts clientTimeouts = ClientDeadlines.Timeouts.defaults();

  private GatewayServer(GatewayConfig config, ResourceStore store, MeterRegistry registry,
      CertificateAuthority.PkiFiles pki, BearerTokenAuthenticator authenticator, String adminToken,
      CertificateAuthority.ClientCertFiles kubeletClient, CertificateAuthority.ClientCertFiles adminClient,
      io.capstan.gateway.security.rbac.RbacAuthorizer rbac) {
    this.kubeletClient = kubeletClient;
    this.adminClient = adminClient;
    this.serviceAccountTokens = serviceAccountTokens(config, store);
    this.rbac = rbac;
    // Impersonation asks it too: with always-allow, anyone may impersonate, as in kube-apiserver.
    this.authorizer = rbac != null ? rbac : io.capstan.gateway.security.Authorizer.ALLOW_ALL;
    this.config = config;
    this.store = store;
    this.registry = registry;
    this.pki = pki;
    this.authenticator = authenticator;
    this.adminToken = adminToken;
    this.openApi = new LiveOpenApiDocuments();
    this.discovery = ApiDiscovery.forAllKinds();
  }

  /**
   * Prepares certificates and tokens under the data dir (blocking; call before deploying). The
   * CA and the client certificate for node agents' log servers are made even with
   * --insecure-http: the agents check them either way.
   */
  public static GatewayServer prepare(GatewayConfig config, ResourceStore store, MeterRegistry registry)
      throws IOException {
    // RBAC reads the watch cache; a store without one (tests' in-memory store) serves without authorization.
    return prepare(config, store, registry, store instanceof io.capstan.gateway.store.KafkaResourceStore
        ? io.capstan.gateway.security.AuthorizationMode.RBAC : io.capstan.gateway.security.AuthorizationMode.ALWAYS_ALLOW);
  }

  /**
   * As {@link #prepare(GatewayConfig, ResourceStore, MeterRegistry)} with the authorization mode
   * given: RBAC follows the RBAC objects of the store's watch cache (a {@code KafkaResourceStore}).
   */
  public static GatewayServer prepare(GatewayConfig config, ResourceStore store, MeterRegistry registry,
      io.capstan.gateway.security.AuthorizationMode authorization) throws IOException {
    io.capstan.gateway.security.rbac.RbacAuthorizer rbac = null;
    if (authorization == io.capstan.gateway.security.AuthorizationMode.RBAC) {
      if (!(store instanceof io.capstan.gateway.store.KafkaResourceStore kafkaStore)) {
        throw new IllegalArgumentException("RBAC authorization reads the watch cache of a Kafka store; this store has"
            + " none (use --authorization always-allow)");
      }
      rbac = new io.capstan.gateway.security.rbac.RbacAuthorizer(
          io.capstan.gateway.security.rbac.RbacAuthorizer.following(kafkaStore.cache()));
    } else {
      LOG.warn("--authorization always-allow: every authenticated user may do anything");
    }
    CertificateAuthority.ClientCertFiles kubeletClient = CertificateAuthority.ensureKubeletClient(config.pkiDir());
    if (config.insecureHttp()) {
      LOG.warn("--insecure-http: serving plain HTTP without authentication; for local experiments only");
      return new GatewayServer(config, store, registry, null, null, null, kubeletClient, null, rbac);
    }
    CertificateAuthority.PkiFiles pki = CertificateAuthority.ensure(config.pkiDir(), config.extraHosts());
    CertificateAuthority.ClientCertFiles adminClient = CertificateAuthority.ensureAdminClient(config.pkiDir());
    String admin = AdminToken.ensure(config.tokenFile());
    BearerTokenAuthenticator authenticator = new BearerTokenAuthenticator(TokenFile.read(config.tokenFile()));
    return new GatewayServer(config, store, registry, pki, authenticator, admin, kubeletClient, adminClient, rbac);
  }

  /** ServiceAccount tokens signed with the key in the PKI dir, checked against the store's memory. */
  private static ServiceAccountTokens serviceAccountTokens(GatewayConfig config, ResourceStore store) {
    try {
      return new ServiceAccountTokens(ServiceAccountTokens.ensureSigningKey(config.pkiDir()),
          (kind, namespace, name) -> Kinds.byName(kind).flatMap(k -> store.current(k, namespace, name))
              .map(o -> ((io.capstan.api.ObjectMeta) o.get(o.getSchema().getField("metadata").pos())).getUid()),
          Clock.systemUTC());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Other deadlines for slow clients than kube-apiserver's (tests use short ones); call before deploying. */
  GatewayServer withClientTimeouts(Duration header, Duration idle, Duration body) {
    this.clientTimeouts = new ClientDeadlines.Timeouts(header, idle, body);
    return this;
  }

  @Override
  public Future<?> start() {
    // Vert.x shares a bound port between servers listening on the same address, but a server on
    // port 0 is never shared; a negative port is its "any free port, shared by all who ask for it".
    int port = config.port() == 0 ? SHARED_FREE_PORT : config.port();
    String notNiced = ThreadNice.apply(config.eventLoopNice()); // start() runs on the first event loop
    return listen(vertx, port, 0).compose(s -> {
      server = s;
      return moreEventLoops(port);
    }).compose(loops -> {
      LOG.info("gateway listening on {} ({} event loop(s){}, {} transport{})", url(), loops,
          notNiced == null && config.eventLoopNice() != 0 ? " at nice " + config.eventLoopNice() : "",
          vertx.isNativeTransportEnabled() ? "epoll" : "NIO", config.insecureHttp() ? ""
              : OpenSSLEngineOptions.isAvailable() ? ", TLS by OpenSSL" : ", TLS by the JDK");
      if (notNiced != null) {
        LOG.warn("the event loops run at normal priority, not nice {}: {}", config.eventLoopNice(), notNiced);
      }
      if (config.insecureHttp()) {
        return Future.succeededFuture();
      }
      return vertx.executeBlocking(() -> KubeconfigWriter.write(config.kubeconfig(), url(), pki.caPem(),
          adminClient, adminToken));
    });
  }

  @Override
  public Future<?> stop() throws Exception {
    openApi.close();
    return Future.succeededFuture();
  }

  /**
   * Serves the same port from {@code eventLoops - 1} more event loops: each extra listener is a
   * verticle of its own (so it gets its own event loop), and Vert.x shares one bound port between
   * servers of the same address, handing each new connection to the next of them. They are
   * children of this verticle, so undeploying the gateway stops them too.
   */
  private Future<Integer> moreEventLoops(int port) {
    int extra = config.eventLoops() - 1;
    if (extra == 0) {
      return Future.succeededFuture(1);
    }
    AtomicInteger next = new AtomicInteger(1);
    return vertx.deployVerticle(() -> new Listener(port, next.getAndIncrement()),
        new DeploymentOptions().setInstances(extra)).map(id -> extra + 1);
  }

  /** One more event loop serving the gateway's port. */
  private final class Listener extends VerticleBase {
    private final int port;
    private final int loop;

    Listener(int port, int loop) {
      this.port = port;
      this.loop = loop;
    }

    @Override
    public Future<?> start() {
      ThreadNice.apply(config.eventLoopNice()); // as the first loop's; that one says if it could not
      return listen(vertx, port, loop);
    }
  }

  /**
   * @param loop numbers the event loop in {@code capstan_gateway_connections_total{loop}}, which
   *             shows how evenly connections spread
   */
  private Future<HttpServer> listen(Vertx vertx, int port, int loop) {
    Counter connections = Counter.builder("capstan.gateway.connections")
        .description("Connections accepted, by the event loop that serves them")
        .tag("loop", Integer.toString(loop)).register(registry);
    // HTTP/1.1 from the first byte (no cleartext HTTP/2 sniffing), so slow clients meet their deadlines.
    HttpServerOptions options = new HttpServerOptions().setCompressionSupported(true).setHttp2ClearTextEnabled(false);
    if (!config.insecureHttp()) {
      // Client certificates are asked for, not required (token users have none), and checked
      // against the cluster CA only: one from another CA fails the handshake.
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(pki.servingCert().toString()).setKeyPath(pki.servingKey().toString()))
          .setClientAuth(ClientAuth.REQUEST)
          .setTrustOptions(new PemTrustOptions().addCertPath(pki.caCert().toString()));
      if (OpenSSLEngineOptions.isAvailable()) {
        options.setSslEngineOptions(new OpenSSLEngineOptions());
      }
    }
    ClientDeadlines deadlines = new ClientDeadlines(vertx, clientTimeouts);
    Router router = router(vertx, deadlines);
    Handler<HttpConnection> accepted = c -> {
      connections.increment();
      deadlines.connected(c);
      SpdyUpgrades.install(c);
    };
    Future<HttpServer> first = vertx.createHttpServer(options).connectionHandler(accepted)
        .requestHandler(router).listen(port, config.host());
    // The further addresses on the port the first got (one picked for port 0), each with its own
    // server, shared by the event loops as the first address is.
    for (String also : config.alsoListenOn()) {
      first = first.compose(s -> vertx.createHttpServer(options).connectionHandler(accepted)
          .requestHandler(router).listen(s.actualPort(), also)
          .recover(e -> Future.failedFuture(new IOException("cannot listen on " + also + ":" + s.actualPort()
              + " too: " + e.getMessage(), e)))
          .map(ignored -> s));
    }
    return first;
  }

  /** metrics.k8s.io, one for every event loop's router: its scrapes are shared. */
  private synchronized ResourceMetricsApi resourceMetrics() {
    if (resourceMetrics == null) {
      resourceMetrics = new ResourceMetricsApi(store, kubeletClient, Clock.systemUTC());
    }
    return resourceMetrics;
  }

  /** The request pipeline; each event loop gets its own router over the shared store. */
  private Router router(Vertx vertx, ClientDeadlines deadlines) {
    Router router = Router.router(vertx);
    router.route().handler(deadlines);
    router.route().handler(new RequestMetrics(registry));
    // The console's files are public (its login page comes before a token); its data are API calls.
    ConsoleFiles console = new ConsoleFiles();
    router.route("/ui").handler(console);
    router.route(ConsoleFiles.PREFIX + "*").handler(console);
    router.route().handler(new Authentication(
        authenticator == null ? null : new ClientCertificateAuthenticator(Clock.systemUTC()),
        authenticator == null ? null : List.of(authenticator, serviceAccountTokens), new Impersonation(authorizer),
        store.accessLog()));
    router.route().handler(new Authorization(authorizer, store.accessLog()));
    router.get("/healthz").handler(GatewayServer::ok);
    router.get("/livez").handler(GatewayServer::ok);
    router.get("/readyz").handler(GatewayServer::ok);
    router.get("/version").handler(ctx -> Responses.json(ctx, 200, discovery.version()));
    router.get("/metrics").handler(this::metrics);
    router.get("/openapi/v3").handler(new OpenApiHandler(openApi));
    router.get("/openapi/v3/*").handler(new OpenApiHandler(openApi));
    BodyHandler bodies = BodyHandler.create(false).setBodyLimit(config.maxBodyBytes());
    // A WebSocket upgrade (a watch) has no body, and reading one would end the request before the upgrade.
    router.routeWithRegex("^/apis?(/.*)?$").handler(ctx -> {
      if (ctx.request().canUpgradeToWebSocket() || upgradesToSpdy(ctx.request().getHeader("Upgrade"))) {
        // an upgrade (a WebSocket watch, an exec or port-forward tunnel) has no body to read; an
        // HTTP/2 upgrade (Upgrade: h2c) is an ordinary request whose body is read as any other
        ctx.next();
      } else if (UnreadableRequests.sendsFormBody(ctx.request())) {
        Responses.status(ctx, ApiStatus.unsupportedMediaType(ctx.request().getHeader("Content-Type"),
            ResourceHandler.BODY_TYPES));
      } else {
        bodies.handle(ctx);
      }
    });
    AuthenticationApi authn = new AuthenticationApi(store, serviceAccountTokens,
        authenticator == null ? List.of() : List.of(authenticator), Clock.systemUTC());
    router.postWithRegex(AuthenticationApi.TOKEN_PATH).handler(authn::tokenRequest);
    router.post(AuthenticationApi.TOKEN_REVIEWS).handler(authn::tokenReview);
    router.postWithRegex(PodEviction.PATH).handler(new PodEviction(store, Clock.systemUTC())::evict);
    router.post(AuthenticationApi.SELF_SUBJECT_REVIEWS).handler(authn::selfSubjectReview);
    router.get(AuditHandler.PATH).handler(new AuditHandler(store));
    router.get(ConsoleTimeline.PATH).handler(new ConsoleTimeline(store));
    router.route(AccessReviews.PATH).handler(new AccessReviews(authorizer, rbac == null ? null : rbac::rulesFor));
    io.capstan.gateway.security.WriteAdmission admission = rbac == null ? io.capstan.gateway.security.WriteAdmission.NONE
        : new io.capstan.gateway.security.rbac.EscalationCheck(rbac)::check;
    router.getWithRegex("^/apis/metrics\\.k8s\\.io/v1beta1/.+").handler(resourceMetrics());
    router.routeWithRegex("^/apis?(/.*)?$").handler(new ResourceHandler(discovery, store, Clock.systemUTC(),
        new PodLogProxy(store, kubeletClient), admission));
    router.route().last().handler(ctx -> Responses.status(ctx, ApiStatus.noSuchPath()));
    router.route().failureHandler(this::failure);
    return router;
  }

  /**
   * The Vert.x instance to deploy the gateway on: with the epoll transport where Netty's native
   * library loads (Linux), which costs less CPU per request than NIO; NIO elsewhere.
   */
  public static Vertx newVertx() {
    return build(new VertxOptions().setPreferNativeTransport(true));
  }

  /**
   * As {@link #newVertx()}, with as many event loops as the gateway's listeners (Vert.x's default
   * is two per core): other servers of the process (the node agent's log server under
   * {@code capstan up}) take turns on the same loops instead of starting more.
   */
  public static Vertx newVertx(int eventLoops) {
    return build(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(eventLoops));
  }

  /**
   * A Vert.x whose worker and internal blocking pools start threads when work comes and end them
   * after {@link #BLOCKING_KEEP_ALIVE} idle: Vert.x's own pools keep every thread they ever started
   * (the internal pool holds one per TLS listener set up at start, asleep for good after).
   */
  private static Vertx build(VertxOptions options) {
    // What Vertx.builder().with(options).build() does, plus the executors: the public builder has
    // no way to give them.
    io.vertx.core.transport.Transport transport = options.getPreferNativeTransport()
        ? io.vertx.core.transport.Transport.nativeTransport() : null;
    if (transport == null) {
      transport = io.vertx.core.transport.Transport.NIO;
    }
    java.util.concurrent.atomic.AtomicInteger pools = new java.util.concurrent.atomic.AtomicInteger();
    io.vertx.core.internal.VertxBootstrap bootstrap = io.vertx.core.internal.VertxBootstrap.create().options(options)
        .executorServiceFactory((threads, concurrency, maxConcurrency) ->
            io.capstan.logschema.threads.OnDemandThreads.pool("vert.x-blocking-pool-" + pools.getAndIncrement(), threads,
                maxConcurrency, BLOCKING_KEEP_ALIVE));
    bootstrap.transport(transport.implementation());
    return bootstrap.init().vertx();
  }

  private static final java.time.Duration BLOCKING_KEEP_ALIVE = java.time.Duration.ofSeconds(5);

  /** The port bound (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  /** The URL clients use, e.g. {@code https://127.0.0.1:6443}. */
  public String url() {
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    if (host.equals("0.0.0.0")) {
      host = "127.0.0.1";
    }
    return (config.insecureHttp() ? "http" : "https") + "://" + host + ":" + port();
  }

  public Path kubeconfig() {
    return config.kubeconfig();
  }

  private static void ok(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end("ok");
  }

  private void metrics(RoutingContext ctx) {
    if (registry instanceof PrometheusMeterRegistry prometheus) {
      ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(prometheus.scrape());
    } else {
      Responses.status(ctx, ApiStatus.noSuchPath());
    }
  }

  private void failure(RoutingContext ctx) {
    if (ctx.failure() != null && UnreadableRequests.isDecodingFailure(ctx.failure())) {
      // The stream cannot be trusted after bytes that are not HTTP: answer, then close.
      ctx.response().putHeader("Connection", "close");
      Responses.status(ctx, ApiStatus.badRequest("the request could not be read: " + ctx.failure().getMessage()));
    } else if (ctx.failure() != null) {
      Responses.error(ctx, ctx.failure());
    } else if (ctx.statusCode() == 413) {
      Responses.status(ctx, ApiStatus.requestEntityTooLarge(config.maxBodyBytes()));
    } else if (ctx.statusCode() == 400) {
      Responses.status(ctx, ApiStatus.badRequest("the request could not be read"));
    } else {
      Responses.status(ctx, ApiStatus.internalError("request failed with HTTP " + ctx.statusCode()));
    }
  }

  /** {@code Upgrade: SPDY/3.1}, as SPDY clients of exec, attach and port-forward send. */
  static boolean upgradesToSpdy(String upgrade) {
    return upgrade != null && upgrade.regionMatches(true, 0, "SPDY/", 0, 5);
  }
}
