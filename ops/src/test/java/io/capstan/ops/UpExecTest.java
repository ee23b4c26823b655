package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real kubectl's streaming commands against {@code capstan up} with real runc pods (issue
 * 19): {@code exec} with exit codes, stdin, stderr and a terminal (its size from kubectl's
 * resize), {@code cp} both ways, {@code run -i --rm} and {@code attach} on the container's own
 * streams, {@code port-forward} to the pod's httpd (kubectl's WebSocket tunnel and SPDY), exec
 * over SPDY, and the refusals: a missing container, a pod with no node, RBAC on {@code
 * pods/exec}, port-forward to a closed port. One namespace of the shared cluster for the class.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class UpExecTest {
  private static RuncUp.Cluster cluster;
  private static Path work;
  private static Path kubeconfig;

  /** What a kubectl run gave. */
  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    cluster = SharedUp.open(SharedUp.Kind.RUNC, "up-exec");
    work = cluster.work();
    kubeconfig = cluster.kubeconfig();
    Path manifest = work.resolve("web.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: httpd
            image: capstan.local/busybox
            command: ["sh", "-c", "mkdir -p /www; echo hello-from-web > /www/index.html; exec httpd -f -p 8080 -h /www"]
        """);
    kubectl(0, "apply", "-f", manifest.toString());
    Run r = kubectl(-1, "wait", "--for=condition=Ready", "pod/web", "--timeout=3m");
    if (r.exit() != 0) {
      fail("pod web not Ready: " + r.err() + "\n" + kubectl(-1, "describe", "pod", "web").out());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      try {
        kubectl(-1, "delete", "pod", "web", "pending", "ticker", "interactive", "--ignore-not-found", "--wait=true",
            "--timeout=60s");
        kubectl(-1, "delete", "rolebinding", "alice-reads-pods", "--ignore-not-found");
        kubectl(-1, "delete", "role", "pod-reader", "--ignore-not-found");
      } finally {
        SharedUp.close(cluster);
      }
    }
  }

  @Test
  void execPassesOutputAndTheExitCode() throws Exception {
    assertEquals("hello-from-web", kubectl(0, "exec", "web", "--", "cat", "/www/index.html").out().strip());
    Run three = kubectl(-1, "exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
    assertEquals(3, three.exit(), "kubectl exits with the command's exit code: " + three);
    assertEquals("out", three.out().strip());
    assertTrue(three.err().contains("err"), three.err());
    assertTrue(three.err().contains("command terminated with exit code 3"), three.err());
    Run missing = kubectl(-1, "exec", "web", "--", "no-such-command");
    assertNotEquals(0, missing.exit(), missing.toString());
  }

  @Test
  void execReadsStdinToItsEnd() throws Exception {
    Run r = kubectlWithInput("hello\nworld\n", "exec", "-i", "web", "--", "sh", "-c", "tr a-z A-Z; echo done");
    assertEquals(0, r.exit(), r.toString());
    assertEquals("HELLO\nWORLD\ndone", r.out().strip());
  }

  @Test
  void execWithATerminalHasTheClientsSize() throws Exception {
    // script(1) gives kubectl a terminal of 91 columns and 27 rows; kubectl sends that size first.
    String inner = "stty cols 91 rows 27; kubectl --kubeconfig " + kubeconfig
        + " exec -it web -- sh -c 'test -t 0 && echo is-a-tty; stty size'";
    Process p = new ProcessBuilder("script", "-qec", inner, "/dev/null").redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), "kubectl exec -it ends");
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("is-a-tty"), out);
    assertTrue(out.contains("27 91"), "the container's terminal has kubectl's size: " + out);
  }

  @Test
  void cpCopiesBothWays() throws Exception {
    Path local = work.resolve("to-pod.txt");
    Files.writeString(local, "copied into the pod\n".repeat(5000));
    kubectl(0, "cp", local.toString(), "web:/tmp/in.txt");
    assertEquals(Files.size(local) + "",
        kubectl(0, "exec", "web", "--", "sh", "-c", "wc -c < /tmp/in.txt").out().strip());
    Path back = work.resolve("from-pod.html");
    kubectl(0, "cp", "web:/www/index.html", back.toString());
    assertEquals("hello-from-web\n", Files.readString(back));
  }

  @Test
  void runInteractiveAndAttachReachTheContainersOwnStreams() throws Exception {
    Run run = kubectlWithInput("from stdin\n", "run", "interactive", "-i", "--rm", "--restart=Never",
        "--image=capstan.local/busybox", "--", "sh", "-c", "read line; echo got: $line");
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.out().contains("got: from stdin"), run.toString());
    assertTrue(!run.err().contains("falling back to streaming logs"), "attached, not the logs: " + run.err());

    Path manifest = work.resolve("ticker.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: ticker
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 0
          containers:
          - name: ticker
            image: capstan.local/busybox
            command: ["sh", "-c", "sleep 5; for i in 1 2 3; do echo tick $i; echo tock $i >&2; done"]
        """);
    kubectl(0, "apply", "-f", manifest.toString());
    kubectl(0, "wait", "--for=jsonpath={.status.phase}=Running", "pod/ticker", "--timeout=2m");
    Run attach = kubectl(-1, "attach", "ticker");
    assertEquals(0, attach.exit(), attach.toString());
    assertTrue(attach.out().contains("tick 1\ntick 2\ntick 3"), attach.toString());
    assertTrue(attach.err().contains("tock 3"), attach.toString());
    kubectl(0, "delete", "pod", "ticker", "--wait=false");
  }

  @Test
  void refusalsNameTheProblem() throws Exception {
    Run noContainer = kubectl(-1, "exec", "web", "-c", "nope", "--", "true");
    assertNotEquals(0, noContainer.exit());
    assertTrue(noContainer.err().contains("container nope is not valid for pod web"), noContainer.err());

    Path manifest = work.resolve("pending.yaml");
    Files.writeString(manifest, """
        apiVersion: v1
        kind: Pod
        metadata:
          name: pending
        spec:
          nodeSelector:
            no-such-label: "true"
          containers:
          - name: c
            image: capstan.local/busybox
            command: ["sleep", "3600"]
        """);
    kubectl(0, "apply", "-f", manifest.toString());
    Run pending = kubectl(-1, "exec", "pending", "--", "true");
    assertNotEquals(0, pending.exit());
    assertTrue(pending.err().contains("pod pending does not have a host assigned"), pending.err());

    // alice may read pods (kubectl exec reads the pod first) but not exec into them
    kubectl(0, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods");
    kubectl(0, "create", "rolebinding", "alice-reads-pods", "--role=pod-reader", "--user=alice");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!kubectl(-1, "auth", "can-i", "get", "pods", "--as=alice").out().strip().equals("yes")) {
      assertTrue(System.nanoTime() < deadline, "alice's role binding takes effect");
      Thread.sleep(200);
    }
    Run forbidden = kubectl(-1, "exec", "--as=alice", "web", "--", "true");
    assertNotEquals(0, forbidden.exit());
    assertTrue(forbidden.err().contains("cannot create resource \"pods/exec\""), forbidden.err());
    assertTrue(kubectl(0, "auth", "can-i", "create", "pods/exec").out().contains("yes"));
  }

  @Test
  void portForwardServesThePodsPortOverWebSocket() throws Exception {
    try (Forward f = portForward(Map.of(), "8080")) {
      assertEquals("hello-from-web", httpGet(f.localPort()).strip(), f.stderr());
      assertEquals("hello-from-web", httpGet(f.localPort()).strip(), "a second connection: " + f.stderr());
      assertTrue(f.process().isAlive(), "kubectl keeps forwarding: " + f.stderr());
    }
  }

  @Test
  void spdyClientsThroughTheGateway() throws Exception {
    // what kubectl before 1.30 speaks: POST with Upgrade: SPDY/3.1, then SPDY on the bare connection
    try (Forward f = portForward(Map.of("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false"), "8080")) {
      assertEquals("hello-from-web", httpGet(f.localPort()).strip(), f.stderr());
      assertEquals("hello-from-web", httpGet(f.localPort()).strip(), "a second connection: " + f.stderr());
    }
    Map<String, String> spdyExec = Map.of("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false");
    Run three = kubectlIn(spdyExec, null, -1, "exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
    assertEquals(3, three.exit(), "the exit code over SPDY: " + three);
    assertEquals("out", three.out().strip(), three.toString());
    assertTrue(three.err().contains("err"), three.err());
    Run stdin = kubectlIn(spdyExec, "hello\nworld\n", -1, "exec", "-i", "web", "--", "sh", "-c", "tr a-z A-Z");
    assertEquals(0, stdin.exit(), stdin.toString());
    assertEquals("HELLO\nWORLD", stdin.out().strip(), stdin.toString());
  }

  @Test
  void portForwardToAClosedPortGivesKubeletsError() throws Exception {
    try (Forward f = portForward(Map.of(), "9999")) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.localPort())) {
        s.setSoTimeout(60_000);
        s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(-1, s.getInputStream().read(), "nothing comes back from a closed port");
      }
      // kubectl prints the error stream's text and, as with kubelet, gives up the connection
      assertTrue(f.process().waitFor(60, TimeUnit.SECONDS), "kubectl ends: " + f.stderr());
      String err = f.stderr();
      assertTrue(err.contains("error forwarding port 9999 to pod s"), err);
      assertTrue(err.contains("failed to connect to localhost:9999 inside namespace"), err);
      assertTrue(err.contains("dial tcp4 127.0.0.1:9999: connect: connection refused"), err);
      assertTrue(err.contains("lost connection to pod"), err);
      System.out.println("kubectl port-forward to a closed port:\n" + err);
    }
  }

  /** A running {@code kubectl port-forward} and the local port it listens on. */
  record Forward(Process process, int localPort, Path stderrFile) implements AutoCloseable {
    String stderr() {
      try {
        return Files.readString(stderrFile);
      } catch (IOException e) {
        return e.toString();
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Starts {@code kubectl port-forward pod/web :PORT} and waits for its "Forwarding from" line. */
  private static Forward portForward(Map<String, String> env, String podPort) throws Exception {
    List<String> command = List.of("kubectl", "--kubeconfig", kubeconfig.toString(), "port-forward",
        "--address=127.0.0.1", "pod/web", ":" + podPort);
    Path err = Files.createTempFile(work, "port-forward", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(err.toFile());
    pb.environment().remove("KUBECONFIG");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    java.util.concurrent.CompletableFuture<Integer> port = new java.util.concurrent.CompletableFuture<>();
    Thread reader = new Thread(() -> {
      java.util.regex.Pattern line = java.util.regex.Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+) -> "
          + podPort);
      try (java.io.BufferedReader r = new java.io.BufferedReader(
          new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          Matcher m = line.matcher(l);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
      port.completeExceptionally(new IllegalStateException("kubectl port-forward ended"));
    }, "port-forward-stdout");
    reader.setDaemon(true);
    reader.start();
    try {
      return new Forward(p, port.get(2, TimeUnit.MINUTES), err);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new AssertionError("kubectl port-forward did not forward: " + Files.readString(err), e);
    }
  }

  /** The body of {@code GET /} on the local port (busybox httpd closes the connection after it). */
  private static String httpGet(int port) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(30)).build();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** Runs kubectl; {@code expectedExit} >= 0 must be its exit code. */
  static Run kubectl(int expectedExit, String... args) throws IOException, InterruptedException {
    return kubectlWithInput(null, expectedExit, args);
  }

  static Run kubectlWithInput(String input, String... args) throws IOException, InterruptedException {
    return kubectlWithInput(input, -1, args);
  }

  private static Run kubectlWithInput(String input, int expectedExit, String... args)
      throws IOException, InterruptedException {
    return kubectlIn(Map.of(), input, expectedExit, args);
  }

  private static Run kubectlIn(Map<String, String> env, String input, int expectedExit, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(work, "kubectl", ".out");
    Path err = Files.createTempFile(work, "kubectl", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().remove("KUBECONFIG");
    pb.environment().putAll(env);
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      if (input != null) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " did not finish");
    }
    Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    if (expectedExit >= 0) {
      assertEquals(expectedExit, r.exit(), "kubectl " + String.join(" ", args) + ": " + r);
    }
    return r;
  }
}
