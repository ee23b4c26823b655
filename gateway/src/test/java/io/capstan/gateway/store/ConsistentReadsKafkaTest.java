package io.capstan.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.api.ConfigMap;
import io.capstan.api.ObjectMeta;
import io.capstan.gateway.cache.WatchCacheConfig;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.selection.FieldSelector;
import io.capstan.gateway.selection.LabelSelector;
import io.capstan.gateway.testing.KafkaGatewayFixture;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.testing.KafkaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 20's two findings, on the real backbone with four partitions (embedded Kafka, a real
 * command processor, the store's watch cache): a write acknowledged to another writer (another
 * gateway, here a command client of its own) is in the very next list and get; a watch over
 * every partition delivers in resourceVersion order, and a watch resumed from any version it
 * delivered gets exactly the later events.
 */
class ConsistentReadsKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int PARTITIONS = 4;
  private static KafkaGatewayFixture backend;
  private static KafkaResourceStore store;
  private static CommandClient otherGateway;

  @BeforeAll
  static void start() throws Exception {
    backend = KafkaGatewayFixture.start("consistent", PARTITIONS, WatchCacheConfig.defaults());
    store = backend.store();
    otherGateway = new CommandClient(CommandClientConfig.defaults(KafkaFixture.clientConfig(), backend.layout(),
        "other-gateway"), backend.registry());
  }

  @AfterAll
  static void stop() throws Exception {
    if (otherGateway != null) {
      otherGateway.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private static ConfigMap cm(String name, String test, String value) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name).setLabels(Map.of("test", test)).build())
        .setData(Map.of("v", value)).build();
  }

  private static <T> T done(CompletionStage<T> s) throws Exception {
    return s.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static CommandResult.Accepted accepted(CompletableFuture<CommandResult> r) throws Exception {
    return assertInstanceOf(CommandResult.Accepted.class, r.get(WAIT.toSeconds(), TimeUnit.SECONDS));
  }

  private static Set<String> names(ListResult r) {
    return r.items().stream().map(o -> ((ConfigMap) o.object()).getMetadata().getName()).collect(Collectors.toSet());
  }

  private static ListOptions byLabel(String test) {
    return new ListOptions("default", LabelSelector.parse("test=" + test), FieldSelector.EVERYTHING, 0, null, null,
        null);
  }

  private static String unique() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** Names, one or more per partition, so every partition has writes of its own. */
  private static List<String> namesOnEveryPartition(String prefix, int perPartition) {
    List<String> out = new ArrayList<>();
    int[] count = new int[PARTITIONS];
    for (int i = 0; out.size() < PARTITIONS * perPartition; i++) {
      String name = prefix + i;
      int p = otherGateway.partitionOf("ConfigMap/default/" + name);
      if (count[p] < perPartition) {
        count[p]++;
        out.add(name);
      }
    }
    return out;
  }

  @Test
  void aWriteAcknowledgedElsewhereIsInTheNextListAndGet() throws Exception {
    String t = "elsewhere-" + unique();
    List<String> names = namesOnEveryPartition("a-" + t + "-", 3);
    for (String name : names) {
      accepted(otherGateway.create(cm(name, t, "1")));
      // at once, through this store, which did not make the write
      assertTrue(names(done(store.list(Kinds.CONFIG_MAP, byLabel(t)))).contains(name),
          "a list right after the create shows " + name);
      assertEquals("1", ((ConfigMap) done(store.get(Kinds.CONFIG_MAP, "default", name, null)).object())
          .getData().get("v"), "a get without resourceVersion right after the create finds " + name);
    }
    for (String name : names) {
      accepted(otherGateway.delete(Kinds.CONFIG_MAP, "default", name, null));
      assertFalse(names(done(store.list(Kinds.CONFIG_MAP, byLabel(t)))).contains(name),
          "a list right after the delete no longer shows " + name);
      try {
        done(store.get(Kinds.CONFIG_MAP, "default", name, ""));
        fail("a get right after the delete of " + name + " finds it");
      } catch (ExecutionException e) {
        assertEquals(404, assertInstanceOf(ApiException.class, e.getCause()).status().code());
      }
    }
    assertEquals(Set.of(), names(done(store.list(Kinds.CONFIG_MAP, byLabel(t)))));
  }

  @Test
  void concurrentConsistentListsAllSeeTheWriteBeforeThem() throws Exception {
    String t = "many-" + unique();
    List<String> names = namesOnEveryPartition("m-" + t + "-", 1);
    for (String name : names) {
      accepted(otherGateway.create(cm(name, t, "1")));
      List<CompletableFuture<ListResult>> lists = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        lists.add(store.list(Kinds.CONFIG_MAP, byLabel(t)).toCompletableFuture());
      }
      for (CompletableFuture<ListResult> l : lists) {
        assertTrue(names(l.get(WAIT.toSeconds(), TimeUnit.SECONDS)).contains(name), "every list shows " + name);
      }
    }
  }

  /** One delivered event: its key, its version and its type. */
  private record Seen(String name, long rv, String type) {}

  private static Seen seen(WatchEvent e) {
    StoredObject o;
    if (e instanceof WatchEvent.Added a) {
      o = a.object();
    } else if (e instanceof WatchEvent.Modified m) {
      o = m.object();
    } else if (e instanceof WatchEvent.Deleted d) {
      o = d.object();
    } else {
      return null;
    }
    return new Seen(((ConfigMap) o.object()).getMetadata().getName(), o.resourceVersion(),
        e.getClass().getSimpleName());
  }

  /** The events (not bookmarks) of a watch from {@code from} until one at or above {@code until}. */
  private static List<Seen> watchFrom(String test, long from, long until) throws Exception {
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    List<Seen> out = new ArrayList<>();
    try (WatchHandle h = store.watch(Kinds.CONFIG_MAP, new WatchOptions("default", LabelSelector.parse("test=" + test),
        FieldSelector.EVERYTHING, Long.toString(from), false, true), events::add)) {
      long last = from;
      while (last < until) {
        WatchEvent e = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (e == null) {
          fail("the watch from " + from + " stopped at " + last + " before " + until + "; got " + out);
        }
        if (e instanceof WatchEvent.Error err) {
          fail("the watch from " + from + " ended with " + err.status());
        }
        if (e instanceof WatchEvent.Bookmark b) {
          last = Math.max(last, b.resourceVersion());
          continue;
        }
        Seen s = seen(e);
        out.add(s);
        last = Math.max(last, s.rv());
      }
    }
    return out;
  }

  @Test
  void aWatchOverFourPartitionsDeliversInVersionOrderAndResumesExactly() throws Exception {
    String t = "order-" + unique();
    long from = done(store.list(Kinds.CONFIG_MAP, byLabel(t))).resourceVersion();
    List<String> names = namesOnEveryPartition("w-" + t + "-", 4);
    // Writes on every partition at once, so the processor interleaves the partitions' versions and
    // the cache reads them a partition at a time.
    List<CompletableFuture<CommandResult>> writes = new ArrayList<>();
    for (String name : names) {
      writes.add(otherGateway.create(cm(name, t, "1")));
    }
    long newest = 0;
    BitSet partitions = new BitSet();
    for (CompletableFuture<CommandResult> w : writes) {
      CommandResult.Accepted a = accepted(w);
      newest = Math.max(newest, a.resourceVersion());
      partitions.set(a.partition());
    }
    writes.clear();
    for (String name : names) {
      writes.add(otherGateway.delete(Kinds.CONFIG_MAP, "default", name, null));
    }
    for (CompletableFuture<CommandResult> w : writes) {
      newest = Math.max(newest, accepted(w).resourceVersion());
    }
    assertEquals(PARTITIONS, partitions.cardinality(), "the writes went to every partition");

    List<Seen> all = watchFrom(t, from, newest);
    assertEquals(names.size() * 2, all.size(), "every create and delete, once: " + all);
    for (int i = 1; i < all.size(); i++) {
      assertTrue(all.get(i).rv() >= all.get(i - 1).rv(), "event " + i + " " + all.get(i) + " came after "
          + all.get(i - 1) + ": " + all);
    }
    // Resumed from every version delivered: exactly the events after it.
    for (Seen s : all) {
      List<Seen> expected = all.stream().filter(x -> x.rv() > s.rv()).toList();
      List<Seen> resumed = expected.isEmpty() ? List.of() : watchFrom(t, s.rv(), newest);
      assertEquals(expected, resumed, "resumed from " + s.rv());
    }
  }
}
