package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static io.capstan.ops.KubectlRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.ops.KubectlRunner.Result;
import io.capstan.stateviews.testing.KafkaFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * {@code capstan up --service-cidr}: the kubernetes and kube-dns Services exist at the CIDR's
 * first and tenth addresses (and come back when deleted), a Service created with kubectl gets a
 * ClusterIP and node port from the ranges, and {@code kubectl get} prints the columns kubectl users
 * know (TYPE, CLUSTER-IP, PORT(S); endpoints; endpointslices; nodes).
 */
class UpServicesTest {
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private static final Duration READY = ChildCapstan.UP_READY;

  @Test
  void clusterServicesAllocationAndTableColumnsAndRealPodsReachingThem() throws Exception {
    RuncUp.requireRunc();
    if (!Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
      fail("kubectl is needed: apt-get install kubernetes-client");
    }
    Path work = KafkaFixture.tempDir("up-services");
    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", work.resolve("data").toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "2",
        "--service-cidr", "10.100.0.0/16", "--service-node-port-range", "31000-31999")) {
      Matcher ready = up.awaitLine("capstan ready: api=\\S+ kubeconfig=(\\S+) ", READY);
      Path kubeconfig = Path.of(ready.group(1));

      String kubernetes = await(kubeconfig, AWAIT, "the kubernetes Service", "10.100.0.1",
          "get", "service", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}");
      assertEquals("10.100.0.1", kubernetes);
      await(kubeconfig, AWAIT, "kube-dns", "10.100.0.10",
          "get", "service", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}");
      String ports = kubectl(kubeconfig, "get", "service", "kubernetes", "-o",
          "jsonpath={.spec.ports[0].name} {.spec.ports[0].port}");
      assertEquals("https 443", ports);
      await(kubeconfig, AWAIT, "the kubernetes Endpoints", ":", "get", "endpoints", "kubernetes", "-o",
          "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}");

      Path manifest = work.resolve("web.yaml");
      Files.writeString(manifest, String.join("\n",
          "apiVersion: v1", "kind: Service", "metadata:", "  name: web", "spec:", "  type: NodePort",
          "  selector:", "    app: web", "  ports:", "  - name: http", "    port: 80", "    targetPort: 8080", ""));
      kubectl(kubeconfig, "apply", "-f", manifest.toString());
      String ip = kubectl(kubeconfig, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}");
      assertTrue(ip.startsWith("10.100."), ip);
      int nodePort = Integer.parseInt(kubectl(kubeconfig, "get", "service", "web", "-o",
          "jsonpath={.spec.ports[0].nodePort}"));
      assertTrue(nodePort >= 31000 && nodePort <= 31999, "node port " + nodePort);
      // Applied again unchanged (no clusterIP, no nodePort in the manifest): both are kept.
      kubectl(kubeconfig, "apply", "-f", manifest.toString());
      assertEquals(ip, kubectl(kubeconfig, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"));
      assertEquals(String.valueOf(nodePort), kubectl(kubeconfig, "get", "service", "web", "-o",
          "jsonpath={.spec.ports[0].nodePort}"));

      String table = kubectl(kubeconfig, "get", "services", "-o", "wide");
      List<String> lines = table.lines().toList();
      assertTrue(lines.get(0).matches("NAME\\s+TYPE\\s+CLUSTER-IP\\s+EXTERNAL-IP\\s+PORT\\(S\\)\\s+AGE\\s+SELECTOR"),
          table);
      assertTrue(lines.stream().anyMatch(l -> l.matches("web\\s+NodePort\\s+" + ip.replace(".", "\\.")
          + "\\s+<none>\\s+80:" + nodePort + "/TCP\\s+\\S+\\s+app=web")), table);
      assertTrue(lines.stream().anyMatch(l -> l.matches("kubernetes\\s+ClusterIP\\s+10\\.100\\.0\\.1\\s+<none>\\s+443/TCP"
          + "\\s+\\S+\\s+<none>")), table);
      String slices = kubectl(kubeconfig, "get", "endpointslices");
      assertTrue(slices.lines().findFirst().orElse("").matches("NAME\\s+ADDRESSTYPE\\s+PORTS\\s+ENDPOINTS\\s+AGE"),
          slices);
      assertTrue(slices.lines().anyMatch(l -> l.startsWith("web-")), "the web Service's slice:\n" + slices);
      String endpoints = kubectl(kubeconfig, "get", "endpoints");
      assertTrue(endpoints.lines().findFirst().orElse("").matches("NAME\\s+ENDPOINTS\\s+AGE"), endpoints);
      String nodes = kubectl(kubeconfig, "get", "nodes", "-o", "wide");
      assertTrue(nodes.lines().findFirst().orElse("").matches("NAME\\s+STATUS\\s+ROLES\\s+AGE\\s+VERSION\\s+INTERNAL-IP"
          + "\\s+EXTERNAL-IP\\s+OS-IMAGE\\s+KERNEL-VERSION\\s+CONTAINER-RUNTIME"), nodes);

      // A taken address is refused naming the field.
      Path taken = work.resolve("taken.yaml");
      Files.writeString(taken, String.join("\n",
          "apiVersion: v1", "kind: Service", "metadata:", "  name: taken", "spec:", "  clusterIP: " + ip,
          "  ports:", "  - port: 80", ""));
      Result refused = run(kubeconfig, "create", "-f", taken.toString());
      assertTrue(refused.exit() != 0 && refused.err().contains("spec.clusterIPs: Invalid value: []string{\"" + ip
          + "\"}: failed to allocate IP " + ip + ": provided IP is already allocated"), refused.err());

      try {
        realPodsReachServices(work, kubeconfig, ip, nodePort);
      } catch (Throwable t) {
        // Stopped cleanly even so: killed (close()), up would leave the pods' containers running.
        up.terminate(Duration.ofMinutes(2));
        throw t;
      }

      // The kubernetes Service comes back when deleted, at the same address.
      kubectl(kubeconfig, "delete", "service", "kubernetes");
      await(kubeconfig, AWAIT, "the kubernetes Service again", "10.100.0.1",
          "get", "service", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}");
      assertEquals(0, up.terminate(Duration.ofMinutes(2)), "exit status after SIGTERM; stderr:\n" + up.stderr());
      assertEquals(List.of(), RuncUp.runcContainers(work.resolve("data")), "no container left after a clean stop");
      assertTrue(!nftTables().contains("table ip capstan\n"), "the proxy's table goes on a clean stop:\n" + nftTables());
    }
  }

  /**
   * Real runc pods through the Service {@code web} made above (port 80 → 8080, NodePort): three
   * busybox httpd pods answering with their hostname (the pod's name), client pods that resolve
   * names with nslookup and fetch through the ClusterIP, a scale-down, the NodePort from this
   * host, a headless Service, a pod's hostname.subdomain record, the dnsPolicy variants, the
   * service environment variables and the kubernetes Service reaching the gateway. Busybox-static's wget cannot resolve names (no NSS
   * in a static binary), so names are checked with nslookup and fetched by address; and its
   * {@code wget -T} crashes (Debian's 1.35), so the fetches go without a timeout of their own.
   */
  private static void realPodsReachServices(Path work, Path kubeconfig, String clusterIp, int nodePort)
      throws Exception {
    apply(work, kubeconfig, "web-deployment.yaml", """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 3
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: httpd
                image: capstan.local/busybox
                command: ["sh", "-c", "mkdir -p /www; hostname > /www/index.html; httpd -f -p 8080 -h /www & trap 'kill $!; exit 0' TERM; wait"]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web-headless
        spec:
          clusterIP: None
          selector: {app: web}
          ports:
          - port: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: peers
        spec:
          clusterIP: None
          selector: {app: peer}
          ports:
          - port: 7000
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: peer
          labels: {app: peer}
        spec:
          hostname: peer-0
          subdomain: peers
          containers:
          - name: peer
            image: capstan.local/busybox
            command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
        """);
    kubectl(kubeconfig, "rollout", "status", "deployment/web", "--timeout=3m");
    kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/peer", "--timeout=3m");
    String peerIp = kubectl(kubeconfig, "get", "pod", "peer", "-o", "jsonpath={.status.podIP}");
    awaitEndpoints(kubeconfig, "peers", List.of(peerIp));
    Map<String, String> podIps = webPods(kubeconfig);
    assertEquals(3, podIps.size(), "three web pods: " + podIps);
    awaitEndpoints(kubeconfig, "web", podIps.values());
    awaitEndpoints(kubeconfig, "web-headless", podIps.values());

    // ClusterFirst (the default), with the service links; Default without them; None with its own dnsConfig.
    apply(work, kubeconfig, "clients.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: client
        spec:
          restartPolicy: Never
          containers:
          - name: client
            image: capstan.local/busybox
            command:
            - sh
            - -c
            - |
              echo "== resolv.conf"; cat /etc/resolv.conf
              echo "== env"; env | grep -E '^(WEB|KUBERNETES)_SERVICE_(HOST|PORT)=' | sort
              echo "== fqdn"; nslookup -type=a web.default.svc.cluster.local
              echo "== short"; nslookup -type=a web
              echo "== headless"; nslookup -type=a web-headless
              echo "== hostname"; nslookup -type=a peer-0.peers.default.svc.cluster.local
              echo "== fetch"
              i=0
              while [ $i -lt 300 ] && [ "$(sort -u /tmp/seen 2>/dev/null | wc -l)" -lt 3 ]; do
                wget -qO- http://CLUSTER_IP/ | tee -a /tmp/seen
                i=$((i+1))
              done
              echo "== api"
              wget -qO- --no-check-certificate https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api 2>&1
              echo "== end"
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: client-default
        spec:
          restartPolicy: Never
          dnsPolicy: Default
          enableServiceLinks: false
          containers:
          - name: client
            image: capstan.local/busybox
            command: ["sh", "-c", "echo '== resolv.conf'; cat /etc/resolv.conf; echo '== env'; env | sort"]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: client-none
        spec:
          restartPolicy: Never
          dnsPolicy: None
          dnsConfig:
            nameservers: [192.0.2.53]
            searches: [example.test]
            options:
            - {name: ndots, value: "2"}
          containers:
          - name: client
            image: capstan.local/busybox
            command: ["sh", "-c", "cat /etc/resolv.conf"]
        """.replace("CLUSTER_IP", clusterIp));
    awaitSucceeded(kubeconfig, "client", "client-default", "client-none");

    String client = kubectl(kubeconfig, "logs", "client");
    assertTrue(section(client, "resolv.conf").equals("search default.svc.cluster.local svc.cluster.local cluster.local\n"
        + "nameserver 10.100.0.10\noptions ndots:5"), "ClusterFirst resolv.conf:\n" + client);
    assertTrue(section(client, "env").contains("WEB_SERVICE_HOST=" + clusterIp + "\nWEB_SERVICE_PORT=80"),
        "service links:\n" + client);
    assertTrue(section(client, "fqdn").contains("Address: " + clusterIp), "web.default.svc.cluster.local:\n" + client);
    assertTrue(section(client, "short").contains("Address: " + clusterIp), "web by the search path:\n" + client);
    String headless = section(client, "headless");
    for (String podIp : podIps.values()) {
      assertTrue(headless.contains("Address: " + podIp + "\n") || headless.endsWith("Address: " + podIp),
          "the headless Service names every pod IP " + podIps + ":\n" + client);
    }
    assertTrue(section(client, "hostname").contains("Address: " + peerIp),
        "hostname.subdomain names the pod with that hostname and subdomain (" + peerIp + "):\n" + client);
    List<String> answers = section(client, "fetch").lines().toList();
    assertTrue(new java.util.HashSet<>(answers).equals(podIps.keySet()),
        "every endpoint answered through the ClusterIP, and only they: " + podIps.keySet() + ":\n" + client);
    String api = section(client, "api");
    assertTrue(api.contains("401") || api.contains("403") || api.contains("\"kind\""),
        "the kubernetes Service reaches the gateway (an HTTP answer):\n" + client);

    String byDefault = kubectl(kubeconfig, "logs", "client-default");
    String hostNameservers = Files.readAllLines(io.capstan.nodeagent.sync.PodDns.Settings.defaultHostResolvConf())
        .stream().filter(l -> l.startsWith("nameserver")).reduce("", (a, b) -> a + b + "\n");
    assertTrue(section(byDefault, "resolv.conf").contains(hostNameservers.strip())
        && !byDefault.contains("10.100.0.10"), "dnsPolicy Default: the node's resolvers:\n" + byDefault);
    assertTrue(!section(byDefault, "env").contains("WEB_SERVICE_HOST")
        && section(byDefault, "env").contains("KUBERNETES_SERVICE_HOST=10.100.0.1"),
        "enableServiceLinks: false drops the links, not the kubernetes Service's:\n" + byDefault);
    assertEquals("search example.test\nnameserver 192.0.2.53\noptions ndots:2",
        kubectl(kubeconfig, "logs", "client-none"), "dnsPolicy None with dnsConfig");

    // The NodePort from this host's loopback.
    java.net.http.HttpResponse<String> viaNodePort = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + nodePort + "/"))
            .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, viaNodePort.statusCode());
    assertTrue(podIps.containsKey(viaNodePort.body().strip()), "a web pod answers on the NodePort: " + viaNodePort.body());

    // Scaled down: the pod that goes leaves the rotation.
    kubectl(kubeconfig, "scale", "deployment/web", "--replicas=2");
    Map<String, String> left = awaitWebPods(kubeconfig, 2);
    awaitEndpoints(kubeconfig, "web", left.values());
    apply(work, kubeconfig, "client-after.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: client-after
        spec:
          restartPolicy: Never
          containers:
          - name: client
            image: capstan.local/busybox
            command: ["sh", "-c", "i=0; while [ $i -lt 40 ]; do wget -qO- http://CLUSTER_IP/; i=$((i+1)); done"]
        """.replace("CLUSTER_IP", clusterIp));
    awaitSucceeded(kubeconfig, "client-after");
    List<String> after = kubectl(kubeconfig, "logs", "client-after").lines().toList();
    assertEquals(40, after.size(), "every fetch answered: " + after);
    assertEquals(left.keySet(), new java.util.HashSet<>(after), "only the remaining pods answer");
    kubectl(kubeconfig, "delete", "deployment", "web");
    kubectl(kubeconfig, "delete", "pods", "peer", "client", "client-default", "client-none", "client-after");
  }

  private static void apply(Path work, Path kubeconfig, String file, String yaml) throws Exception {
    Path manifest = Files.writeString(work.resolve(file), yaml);
    kubectl(kubeconfig, "apply", "-f", manifest.toString());
  }

  /** The web pods that are Running and not being deleted: name (their hostname) → pod IP. */
  private static Map<String, String> webPods(Path kubeconfig) throws Exception {
    String out = kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}"
        + "{.metadata.name} {.status.phase} {.status.podIP} {.metadata.deletionTimestamp}{\"\\n\"}{end}");
    Map<String, String> pods = new TreeMap<>();
    for (String line : out.lines().toList()) {
      String[] f = line.trim().split(" ");
      if (f.length == 3 && f[1].equals("Running")) {
        pods.put(f[0], f[2]);
      }
    }
    return pods;
  }

  private static Map<String, String> awaitWebPods(Path kubeconfig, int count) throws Exception {
    long deadline = System.nanoTime() + READY.toNanos();
    Map<String, String> pods = Map.of();
    while (System.nanoTime() < deadline) {
      pods = webPods(kubeconfig);
      if (pods.size() == count) {
        return pods;
      }
      Thread.sleep(200);
    }
    fail(count + " web pods expected: " + pods);
    return null;
  }

  /** Waits until the Service's Endpoints list exactly these addresses. */
  private static void awaitEndpoints(Path kubeconfig, String service, java.util.Collection<String> ips)
      throws Exception {
    String want = String.join(",", new TreeSet<>(ips));
    long deadline = System.nanoTime() + READY.toNanos();
    String have = "";
    while (System.nanoTime() < deadline) {
      have = String.join(",", new TreeSet<>(List.of(kubectl(kubeconfig, "get", "endpoints", service, "-o",
          "jsonpath={.subsets[*].addresses[*].ip}").split(" "))));
      if (have.equals(want)) {
        return;
      }
      Thread.sleep(200);
    }
    fail("endpoints of " + service + ": want " + want + ", have " + have);
  }

  /** Waits for the pods to have run to completion (kubectl wait watches them). */
  private static void awaitSucceeded(Path kubeconfig, String... pods) throws Exception {
    List<String> args = new ArrayList<>(List.of("wait", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=3m"));
    for (String p : pods) {
      args.add("pod/" + p);
    }
    Result r = run(kubeconfig, args.toArray(String[]::new));
    if (r.exit() != 0) {
      fail("pods " + List.of(pods) + " did not succeed: " + r.err() + "\n"
          + run(kubeconfig, "get", "pods", "-o", "wide").out() + "\n" + run(kubeconfig, "describe", "pods").out());
    }
  }

  /** The lines after {@code == name} up to the next {@code ==} line, trimmed. */
  private static String section(String log, String name) {
    int start = log.indexOf("== " + name + "\n");
    assertTrue(start >= 0, "no section '" + name + "' in:\n" + log);
    String rest = log.substring(start + name.length() + 4);
    int end = rest.indexOf("\n== ");
    return (end < 0 ? rest : rest.substring(0, end)).strip();
  }

  private static String nftTables() throws Exception {
    Process p = new ProcessBuilder("nft", "list", "tables").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

}
