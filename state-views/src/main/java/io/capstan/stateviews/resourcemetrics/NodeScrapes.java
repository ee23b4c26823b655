package io.capstan.stateviews.resourcemetrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The last two scrapes of each node agent, taken when a client asks (never in the background, so
 * an idle cluster scrapes nothing), as the two points metrics-server rates CPU between. A request
 * within {@link #FRESH} of the last scrape is answered from it; a later one scrapes again and
 * rates against the previous scrape when that is at most {@link #MAX_WINDOW} old. Otherwise (the
 * first request, or the first after a long quiet) it scrapes twice, {@link #FIRST_WINDOW} apart.
 * Concurrent requests for a node share one scrape.
 */
public final class NodeScrapes {
  /** How long a pair of scrapes answers requests (metrics-server's resolution is 15 s; clients ask seldom). */
  public static final Duration FRESH = Duration.ofSeconds(5);
  /** The longest window a rate is taken over; an older previous scrape is not used. */
  public static final Duration MAX_WINDOW = Duration.ofSeconds(60);
  /** The window of the first answer: the time between two scrapes taken for it. */
  public static final Duration FIRST_WINDOW = Duration.ofSeconds(1);

  /** Two scrapes of one node agent, the earlier first. */
  public record Pair(NodeReading earlier, NodeReading later) {}

  private static final class Scrapes {
    NodeReading earlier;
    NodeReading later;
    Instant laterAt;
    CompletableFuture<Pair> inflight;
  }

  private final Function<String, CompletionStage<NodeReading>> scraper;
  private final Clock clock;
  private final Duration firstWindow;
  private final Map<String, Scrapes> nodes = new HashMap<>();

  /** @param scraper one scrape of a node agent by node name */
  public NodeScrapes(Function<String, CompletionStage<NodeReading>> scraper, Clock clock) {
    this(scraper, clock, FIRST_WINDOW);
  }

  NodeScrapes(Function<String, CompletionStage<NodeReading>> scraper, Clock clock, Duration firstWindow) {
    this.scraper = scraper;
    this.clock = clock;
    this.firstWindow = firstWindow;
  }

  /** The node's two latest scrapes, scraping as needed. */
  public synchronized CompletableFuture<Pair> pair(String node) {
    Scrapes s = nodes.computeIfAbsent(node, n -> new Scrapes());
    if (s.inflight != null) {
      return s.inflight;
    }
    Instant now = clock.instant();
    if (s.earlier != null && s.laterAt != null && Duration.between(s.laterAt, now).compareTo(FRESH) < 0) {
      return CompletableFuture.completedFuture(new Pair(s.earlier, s.later));
    }
    boolean usePrevious = s.later != null && Duration.between(s.laterAt, now).compareTo(MAX_WINDOW) <= 0;
    CompletableFuture<Pair> f = scraper.apply(node).toCompletableFuture().thenCompose(first -> {
      if (usePrevious) {
        return CompletableFuture.completedFuture(record(s, s.later, first));
      }
      return CompletableFuture.supplyAsync(() -> null,
              CompletableFuture.delayedExecutor(firstWindow.toMillis(), TimeUnit.MILLISECONDS))
          .thenCompose(v -> scraper.apply(node))
          .thenApply(second -> record(s, first, second));
    });
    s.inflight = f;
    f.whenComplete((p, e) -> {
      synchronized (this) {
        s.inflight = null;
      }
    });
    return f;
  }

  private synchronized Pair record(Scrapes s, NodeReading earlier, NodeReading later) {
    s.earlier = earlier;
    s.later = later;
    s.laterAt = clock.instant();
    return new Pair(earlier, later);
  }

  /** Forgets the nodes not named (deleted ones). */
  public synchronized void retain(Set<String> names) {
    nodes.keySet().retainAll(names);
  }
}
