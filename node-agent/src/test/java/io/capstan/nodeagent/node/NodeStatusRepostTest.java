package io.capstan.nodeagent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.capstan.api.Node;
import io.capstan.api.NodeCondition;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.stateviews.informer.Informer;
import io.capstan.stateviews.informer.InformerConfig;
import io.capstan.stateviews.informer.SharedInformers;
import io.capstan.stateviews.testing.KafkaFixture;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node marked Unknown by someone else (the node lifecycle controller, when heartbeats were
 * late) gets its real conditions back at the agent's next check, as kubelet compares with the
 * stored Node, not at the next once-a-minute report; with nobody else writing, checks write nothing.
 */
class NodeStatusRepostTest {
  @Test
  void aNodeMarkedUnknownIsReadyAgainAtTheNextCheck() throws Exception {
    markedUnknownThenReadyAgain("repost-1", false);
  }

  /** As a node agent runs: the check reads the stored Node from the Node informer, sending nothing. */
  @Test
  void aCheckThatReadsTheNodeFromAnInformerNoticesTheMarkToo() throws Exception {
    markedUnknownThenReadyAgain("repost-2", true);
  }

  private void markedUnknownThenReadyAgain(String nodeName, boolean fromInformer) throws Exception {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try (AgentCluster cluster = new AgentCluster("node-repost");
        SharedInformers informers = new SharedInformers(InformerConfig.defaults(cluster.kafka, cluster.layout,
            "node-repost-nodes"), cluster.registry)) {
      Informer<Node> nodes = informers.informerFor(Kinds.NODE, Node.class);
      informers.start();
      informers.awaitSynced(Duration.ofSeconds(60));
      MachineInfo machine = MachineInfo.read(KafkaFixture.tempDir("node-repost-data"));
      NodeStatusReporter reporter = new NodeStatusReporter(nodeName, machine, KafkaFixture.tempDir("node-repost"),
          "hollow://1", 10250, cluster.client, Clock.systemUTC(), timers, Map::of, cluster.registry);
      if (fromInformer) {
        reporter.readStoredNodeFrom(n -> nodes.get("", n));
      }
      try {
        reporter.start();
        Node registered = await(nodes, nodeName, "Ready True", n -> "True".equals(ready(n)));

        reporter.reportIfDue(); // nothing changed: no write
        Thread.sleep(500);
        assertEquals(registered.getMetadata().getResourceVersion(),
            nodes.get(null, nodeName).orElseThrow().getMetadata().getResourceVersion(), "a check alone writes nothing");

        Node unknown = Node.newBuilder(registered).build();
        List<NodeCondition> conditions = new ArrayList<>();
        for (NodeCondition c : registered.getStatus().getConditions()) {
          conditions.add(NodeCondition.newBuilder(c).setStatus("Unknown").setReason("NodeStatusUnknown")
              .setMessage("Kubelet stopped posting node status.").build());
        }
        unknown.getStatus().setConditions(conditions);
        assertInstanceOf(CommandResult.Accepted.class, cluster.client.updateStatus(unknown).get(30, TimeUnit.SECONDS));
        await(nodes, nodeName, "Ready Unknown", n -> "Unknown".equals(ready(n)));

        reporter.reportIfDue();
        await(nodes, nodeName, "Ready True again", n -> "True".equals(ready(n)));
      } finally {
        reporter.close();
      }
    } finally {
      timers.shutdownNow();
    }
  }

  private static String ready(Node n) {
    if (n.getStatus() == null || n.getStatus().getConditions() == null) {
      return null;
    }
    return n.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst()
        .map(NodeCondition::getStatus).orElse(null);
  }

  private static Node await(Informer<Node> nodes, String nodeName, String what, java.util.function.Predicate<Node> ok)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Optional<Node> n = nodes.get(null, nodeName);
      if (n.isPresent() && ok.test(n.get())) {
        return n.get();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("node " + nodeName + " never got to " + what + ": " + nodes.get(null, nodeName));
  }
}
