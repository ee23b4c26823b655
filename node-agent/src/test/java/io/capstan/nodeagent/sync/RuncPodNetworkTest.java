package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.api.Container;
import io.capstan.api.ContainerPort;
import io.capstan.api.EnvVar;
import io.capstan.api.HTTPGetAction;
import io.capstan.api.Pod;
import io.capstan.api.Probe;
import io.capstan.nodeagent.AgentCluster;
import io.capstan.nodeagent.NodeAgent;
import io.capstan.nodeagent.image.BusyboxImage;
import io.capstan.nodeagent.logs.LogClient;
import io.capstan.nodeagent.runtime.runc.PodNetwork;
import io.capstan.nodeagent.runtime.runc.RuncHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pod networking with the real CNI bridge: each pod gets its own address on the pod network,
 * one pod reaches another's server by that address, an httpGet readiness probe goes to the pod's
 * address, and a hostNetwork pod keeps the node's.
 */
class RuncPodNetworkTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static AgentCluster cluster;
  static NodeAgent agent;
  static LogClient logClient;
  static String node;

  @BeforeAll
  static void start() throws Exception {
    RuncHost.require();
    if (PodNetwork.findPlugins().isEmpty()) {
      fail("the CNI plugins are not installed: apt-get install -y " + PodNetwork.PACKAGE
          + " (./capstan test installs it)");
    }
    cluster = new AgentCluster("agent-net");
    node = "net-" + Long.toHexString(System.nanoTime() & 0xffffff);
    logClient = new LogClient();
    agent = cluster.startRuncAgent(node, "agent-net", logClient.caFile());
  }

  @AfterAll
  static void stop() throws Exception {
    if (agent != null && cluster != null) {
      cluster.stopAgent(agent);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (logClient != null) {
      logClient.close();
    }
  }

  @Test
  void podsGetTheirOwnAddressesAndReachEachOther() throws Exception {
    Container server = AgentCluster.container("web", BusyboxImage.NAME, "sh", "-c",
        "mkdir -p /tmp/www && echo hello-over-the-pod-network > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www");
    server.setPorts(List.of(ContainerPort.newBuilder().setContainerPort(8080).build()));
    // The probe reaches the server only at the pod's own address (nothing listens on the node's).
    server.setReadinessProbe(Probe.newBuilder().setHttpGet(HTTPGetAction.newBuilder().setPath("/")
        .setPort(8080).build()).setPeriodSeconds(1).build());
    cluster.run(AgentCluster.pod("server", "Always", server), node);
    Pod ready = cluster.await("server", WAIT, "Ready", p -> p.getStatus() != null && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
    String serverIp = ready.getStatus().getPodIP();
    String hostIp = ready.getStatus().getHostIP();
    assertTrue(serverIp.startsWith("10.244."), "an address from the pod network: " + serverIp);
    assertNotEquals(hostIp, serverIp);

    // nc, not wget: the static busybox's name lookup needs NSS libraries the image lacks.
    Container client = AgentCluster.container("get", BusyboxImage.NAME, "sh", "-c",
        "echo my address is $MY_IP; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $SERVER 8080");
    client.setEnv(List.of(EnvVar.newBuilder().setName("SERVER").setValue(serverIp).build(),
        EnvVar.newBuilder().setName("MY_IP").setValueFrom(io.capstan.api.EnvVarSource.newBuilder().setFieldRef(
            io.capstan.api.ObjectFieldSelector.newBuilder().setFieldPath("status.podIP").build()).build()).build()));
    cluster.run(AgentCluster.pod("client", "Never", client), node);
    Pod done = cluster.await("client", WAIT, "Succeeded or Failed", p -> p.getStatus() != null
        && ("Succeeded".equals(p.getStatus().getPhase()) || "Failed".equals(p.getStatus().getPhase())));
    String clientIp = done.getStatus().getPodIP();
    Thread.sleep(1000);
    LogClient.Response log = logClient.get(agent.port(), "/containerLogs/default/client/get");
    assertEquals("Succeeded", done.getStatus().getPhase(), "the client pod's log: " + log.body() + " status "
        + done.getStatus().getContainerStatuses());
    assertTrue(log.body().contains("hello-over-the-pod-network"), log.body());
    assertTrue(log.body().contains("my address is " + clientIp), "status.podIP reaches the env: " + log.body());
    assertNotEquals(serverIp, clientIp);
    assertTrue(clientIp.startsWith("10.244."), clientIp);

    Pod host = AgentCluster.pod("on-host", "Never", AgentCluster.container("main", BusyboxImage.NAME, "true"));
    host.getSpec().setHostNetwork(true);
    cluster.run(host, node);
    Pod hostDone = cluster.await("on-host", WAIT, "Succeeded", p -> p.getStatus() != null
        && "Succeeded".equals(p.getStatus().getPhase()));
    assertEquals(hostIp, hostDone.getStatus().getPodIP(), "a hostNetwork pod has the node's address");
  }

  /**
   * Traffic leaving the pod network is masqueraded by one nftables rule for the whole subnet,
   * written when the runtime started, instead of an iptables chain per pod that the bridge
   * plugin would add and remove under the machine-wide xtables lock on every pod start and stop.
   */
  @Test
  void theWholePodSubnetIsMasqueradedByOneNftablesRule() throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("nft", "list", "table", "ip", PodNetwork.NAT_TABLE).redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      fail("nft is not installed: apt-get install -y nftables (./capstan test installs it)");
      return;
    }
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "nft list table ip " + PodNetwork.NAT_TABLE + ": " + out);
    assertTrue(out.contains("hook postrouting"), out);
    long rules = out.lines().filter(l -> l.contains("masquerade")).count();
    assertEquals(1, rules, "one masquerade rule for the subnet: " + out);
    assertTrue(out.contains("ip saddr " + PodNetwork.DEFAULT_SUBNET), out);
  }
}
