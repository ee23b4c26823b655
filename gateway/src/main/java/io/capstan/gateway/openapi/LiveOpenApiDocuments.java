package io.capstan.gateway.openapi;

import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.openapi.OpenApiDocuments;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAPI v3 documents of every kind served now, and of Capstan's own endpoints
 * ({@link EndpointDocuments}): made again (on the next request) whenever
 * the kind registry changes, so a custom kind's group-version document appears when its
 * definition is established, changes with its schema, and goes with it ({@code kubectl explain}).
 */
public final class LiveOpenApiDocuments implements Supplier<OpenApiDocuments>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveOpenApiDocuments.class);
  private volatile OpenApiDocuments current;
  private volatile boolean stale = true;
  private final AutoCloseable subscription;

  public LiveOpenApiDocuments() {
    this.subscription = Kinds.subscribe(change -> stale = true);
  }

  @Override
  public OpenApiDocuments get() {
    if (stale) {
      synchronized (this) {
        if (stale) {
          stale = false; // a change while generating marks it stale again
          current = OpenApiDocuments.generate(Kinds.all(), EndpointDocuments.all());
          log.debug("OpenAPI documents made for {} group-versions", current.paths().size());
        }
      }
    }
    return current;
  }

  @Override
  public void close() throws Exception {
    subscription.close();
  }
}
