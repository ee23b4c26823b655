package io.capstan.stateviews.resourcemetrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.capstan.stateviews.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Scrapes are taken only when asked, reused while fresh, and paired with the previous one within the window. */
class NodeScrapesTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-12-06T05:00:00Z"));
  private final List<String> scraped = new CopyOnWriteArrayList<>();

  private NodeScrapes scrapes() {
    return new NodeScrapes(node -> {
      scraped.add(node);
      return CompletableFuture.completedFuture(new NodeReading(
          new NodeReading.Sample(clock.instant(), scraped.size(), 0), Map.of()));
    }, clock, Duration.ofMillis(10));
  }

  @Test
  void theFirstAskScrapesTwiceThenFreshAnswersScrapeNothing() throws Exception {
    NodeScrapes s = scrapes();
    NodeScrapes.Pair first = s.pair("n1").get(10, TimeUnit.SECONDS);
    assertEquals(List.of("n1", "n1"), scraped);
    assertEquals(1, first.earlier().node().cpuNanos());
    assertEquals(2, first.later().node().cpuNanos());
    clock.advance(Duration.ofSeconds(2));
    assertSame(first.later(), s.pair("n1").get(10, TimeUnit.SECONDS).later(), "fresh: answered without scraping");
    assertEquals(2, scraped.size());

    clock.advance(Duration.ofSeconds(10));
    NodeScrapes.Pair next = s.pair("n1").get(10, TimeUnit.SECONDS);
    assertEquals(3, scraped.size(), "one new scrape, paired with the previous");
    assertSame(first.later(), next.earlier());

    clock.advance(NodeScrapes.MAX_WINDOW.plusSeconds(1));
    NodeScrapes.Pair afterQuiet = s.pair("n1").get(10, TimeUnit.SECONDS);
    assertEquals(5, scraped.size(), "the previous scrape is too old: two new ones");
    assertEquals(4, afterQuiet.earlier().node().cpuNanos());
  }

  @Test
  void aFailedScrapeFailsTheAskAndTheNextAskTriesAgain() throws Exception {
    AtomicReference<Boolean> fail = new AtomicReference<>(true);
    NodeScrapes s = new NodeScrapes(node -> fail.get()
        ? CompletableFuture.failedFuture(new IllegalStateException("agent down"))
        : CompletableFuture.completedFuture(new NodeReading(null, Map.of())), clock, Duration.ofMillis(1));
    CompletableFuture<NodeScrapes.Pair> f = s.pair("n1");
    assertEquals("agent down", org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
        () -> f.get(10, TimeUnit.SECONDS)).getCause().getMessage());
    fail.set(false);
    s.pair("n1").get(10, TimeUnit.SECONDS);
  }
}
