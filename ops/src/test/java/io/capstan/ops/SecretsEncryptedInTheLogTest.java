package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.capstan.stateviews.testing.KafkaFixture;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * Secrets encrypted in the log, end to end on one {@code capstan up} (no real pods): a Secret
 * written and read through the API, its values found in no file under the data dir (Kafka log
 * segments, the processor's stores, logs) in plaintext or base64; key rotation with live Secrets
 * rewritten, the old key retired, then replay and audit; and a restart without the key file refused.
 */
class SecretsEncryptedInTheLogTest {
  private static final Duration READY = ChildCapstan.UP_READY;
  private static final String READY_LINE = "capstan ready: api=(\\S+) kubeconfig=(\\S+) kafka=(\\S+) metrics=(\\S+)$";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String password = "pw-" + UUID.randomUUID();
  private final String token = "tok-" + UUID.randomUUID();
  private final String rotatedPassword = "pw2-" + UUID.randomUUID();

  @Test
  void secretValuesNeverReachTheDataDirAndSurviveRotationAndRetirement() throws Exception {
    Path work = KafkaFixture.tempDir("secrets");
    Path dataDir = work.resolve("data");
    Path keyFile = dataDir.resolve(EncryptionOptions.FILE_NAME);
    String bootstrap;
    try (ChildCapstan up = ChildCapstan.start(work, "up", "--data-dir", dataDir.toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--partitions", "2",
        "--service-proxy", "off")) {
      Matcher ready = up.awaitLine(READY_LINE, READY);
      String api = ready.group(1);
      bootstrap = ready.group(3);
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)),
          "up generated the key file, private");
      Api client = new Api(api, dataDir);

      // Written with data (base64) and stringData; read back in clear.
      HttpResponse<String> created = client.send("POST", "/api/v1/namespaces/default/secrets", """
          {"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},
           "data":{"password":"%s"},"stringData":{"token":"%s"}}""".formatted(b64(password), token));
      assertEquals(201, created.statusCode(), created.body());
      JsonNode got = client.get("/api/v1/namespaces/default/secrets/db");
      assertEquals(b64(password), got.at("/data/password").asText(), got.toString());
      assertEquals(b64(token), got.at("/data/token").asText(), "stringData is merged into data: " + got);
      assertTrue(got.at("/data/" + "capstan.io.sealed").isMissingNode(), "readers never see the envelope: " + got);
      assertEquals("Opaque", got.at("/type").asText());

      // An update (a new version in the event log), then a rotation that rewrites it with key-2.
      HttpResponse<String> patched = client.send("PATCH", "/api/v1/namespaces/default/secrets/db",
          "{\"metadata\":{\"labels\":{\"tier\":\"db\"}}}", "application/merge-patch+json");
      assertEquals(200, patched.statusCode(), patched.body());
      Instant beforeRotation = Instant.now();
      Thread.sleep(1100); // --until has microsecond resolution; keep the two eras apart
      CapstanCommandLineTest.Run rotate = CapstanCommandLineTest.run("keys", "rotate", "--kafka", bootstrap,
          "--data-dir", dataDir.toString());
      assertEquals(0, rotate.status(), rotate.out() + rotate.err());
      assertTrue(rotate.out().contains("new write key key-2"), rotate.out());
      assertTrue(rotate.out().matches("(?s).*rewrote [1-9]\\d* Secrets with key key-2.*"), rotate.out());
      // The components' session ticket key rotated too, the old one kept: the running processor
      // follows the file, and the gateway's session opened before the rotation writes on (below).
      assertTrue(rotate.out().contains("new ticket key t-"), rotate.out());
      assertEquals(2, io.capstan.stateviews.processor.authn.TicketKeys.load(dataDir.resolve("pki")
          .resolve(io.capstan.stateviews.processor.authn.TicketKeys.FILE_NAME)).ids().size());

      // A write after the rotation is sealed with key-2 by the running gateway (it reloaded the file).
      HttpResponse<String> second = client.send("POST", "/api/v1/namespaces/default/secrets", """
          {"apiVersion":"v1","kind":"Secret","metadata":{"name":"api"},"stringData":{"password":"%s"}}"""
          .formatted(rotatedPassword));
      assertEquals(201, second.statusCode(), second.body());
      CapstanCommandLineTest.Run list = CapstanCommandLineTest.run("keys", "list", "--kafka", bootstrap,
          "--data-dir", dataDir.toString());
      assertEquals(0, list.status(), list.out() + list.err());
      assertTrue(list.out().matches("(?s).*key-2\\s+write\\s+\\S+\\s+\\d+.*key-1\\s+read\\s+\\S+\\s+0\n.*"), list.out());

      // The write key cannot be retired; key-1 can, now that no live Secret needs it.
      CapstanCommandLineTest.Run refused = CapstanCommandLineTest.run("keys", "retire", "key-2", "--kafka", bootstrap,
          "--data-dir", dataDir.toString());
      assertEquals(2, refused.status(), refused.out() + refused.err());
      assertTrue(refused.err().contains("rotate first"), refused.err());
      CapstanCommandLineTest.Run retire = CapstanCommandLineTest.run("keys", "retire", "key-1", "--kafka", bootstrap,
          "--data-dir", dataDir.toString());
      assertEquals(0, retire.status(), retire.out() + retire.err());
      assertFalse(Files.readString(keyFile).contains("name: key-1\n  secret"), "key-1's material is gone");
      Thread.sleep(1500); // the running components reload the file

      // Live Secrets still read in clear through the API (they are sealed with key-2).
      got = client.get("/api/v1/namespaces/default/secrets/db");
      assertEquals(b64(password), got.at("/data/password").asText(), got.toString());
      assertEquals("db", got.at("/metadata/labels/tier").asText(), got.toString());
      assertEquals(b64(rotatedPassword), client.get("/api/v1/namespaces/default/secrets/api").at("/data/password").asText());

      // Replay after rotation: the state verifies; now it shows the values, before the rotation it cannot.
      CapstanCommandLineTest.Run verify = CapstanCommandLineTest.run("replay", "--kafka", bootstrap, "--verify");
      assertEquals(0, verify.status(), verify.out() + verify.err());
      CapstanCommandLineTest.Run now = CapstanCommandLineTest.run("replay", "--kafka", bootstrap, "-o", "yaml",
          "--kind", "Secret", "--encryption-config", keyFile.toString());
      assertEquals(0, now.status(), now.out() + now.err());
      assertTrue(now.out().contains("password: " + b64(password)), now.out());
      CapstanCommandLineTest.Run then = CapstanCommandLineTest.run("replay", "--kafka", bootstrap, "-o", "yaml",
          "--kind", "Secret", "--until", beforeRotation.toString(), "--encryption-config", keyFile.toString());
      assertEquals(0, then.status(), then.out() + then.err());
      assertTrue(then.out().contains("encrypted with retired key key-1"), then.out());
      assertFalse(then.out().contains(b64(password)) || then.out().contains(password), then.out());

      // Audit: who changed the Secret and that its data changed, never its values.
      CapstanCommandLineTest.Run audit = CapstanCommandLineTest.run("audit", "--kafka", bootstrap, "--kind", "Secret",
          "--name", "db", "-o", "json", "--objects", "--encryption-config", keyFile.toString());
      assertEquals(0, audit.status(), audit.out() + audit.err());
      List<JsonNode> entries = new ArrayList<>();
      for (String line : audit.out().split("\n")) {
        entries.add(JSON.readTree(line));
      }
      assertTrue(entries.size() >= 3, "create, label, rewrite: " + audit.out());
      assertTrue(entries.stream().allMatch(e -> !e.path("actor").asText().isEmpty()), audit.out());
      assertTrue(entries.stream().anyMatch(e -> e.path("changedPaths").toString().contains("\"data\"")),
          "the rewrite shows data changed: " + audit.out());
      assertTrue(audit.out().contains("encrypted with retired key key-1"), audit.out());
      assertTrue(audit.out().contains("encrypted with key key-2"), audit.out());
      assertNoValues(audit.out(), "audit output");

      assertEquals(0, up.terminate(Duration.ofMinutes(1)), "exit status after SIGTERM; stderr:\n" + up.stderr());
    }

    // Every file under the data dir, stores flushed by the clean stop: no value in any form.
    List<String> found = new ArrayList<>();
    long[] files = new long[1];
    try (Stream<Path> all = Files.walk(dataDir)) {
      for (Path f : all.filter(Files::isRegularFile).toList()) {
        files[0]++;
        byte[] bytes = Files.readAllBytes(f);
        for (String needle : needles()) {
          if (indexOf(bytes, needle.getBytes(StandardCharsets.UTF_8)) >= 0) {
            found.add(dataDir.relativize(f) + " holds " + needle);
          }
        }
      }
    }
    assertTrue(files[0] > 20, "the data dir has the broker's segments and the stores: " + files[0] + " files");
    assertTrue(found.isEmpty(), "Secret values on disk: " + found);

    // Without its key file the cluster refuses to start, naming the file.
    Path moved = work.resolve("key-backup.yaml");
    Files.move(keyFile, moved);
    try (ChildCapstan again = ChildCapstan.start(work, "up", "--data-dir", dataDir.toString(),
        "--kafka-port", "0", "--metrics-port", "0", "--api-port", "0", "--service-proxy", "off")) {
      assertEquals(1, again.awaitExit(Duration.ofMinutes(1)), again.stdout() + again.stderr());
      assertTrue(again.stderr().contains(keyFile.toString()) && again.stderr().contains("is missing"), again.stderr());
      assertTrue(again.stdout().stream().noneMatch(l -> l.startsWith("capstan ready")), again.stdout().toString());
    }
    assertFalse(Files.exists(keyFile), "no new key minted over an existing cluster");
  }

  private List<String> needles() {
    List<String> n = new ArrayList<>();
    for (String v : List.of(password, token, rotatedPassword)) {
      n.add(v);
      n.add(b64(v));
      n.add(b64(v).replace("=", "")); // base64 without padding, as inside a longer base64 run
    }
    return n;
  }

  private void assertNoValues(String text, String where) {
    for (String needle : needles()) {
      assertFalse(text.contains(needle), where + " holds " + needle + ":\n" + text);
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** The API as the admin kubeconfig's user, trusting the cluster's CA. */
  private static final class Api {
    final String base;
    final String bearer;
    final HttpClient http;

    Api(String base, Path dataDir) throws Exception {
      this.base = base;
      Matcher m = java.util.regex.Pattern.compile("\\btoken: (\\S+)").matcher(Files.readString(dataDir.resolve("kubeconfig")));
      assertTrue(m.find(), "a token in the kubeconfig");
      this.bearer = m.group(1);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("capstan-ca", CertificateFactory.getInstance("X.509").generateCertificate(
          new ByteArrayInputStream(Files.readAllBytes(dataDir.resolve("pki").resolve("ca.crt")))));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      this.http = HttpClient.newBuilder().sslContext(ssl).build();
    }

    HttpResponse<String> send(String method, String path, String body) throws Exception {
      return send(method, path, body, "application/json");
    }

    HttpResponse<String> send(String method, String path, String body, String contentType) throws Exception {
      return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + bearer)
          .header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(String path) throws Exception {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
          .header("Authorization", "Bearer " + bearer).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), path + ": " + r.body());
      return JSON.readTree(r.body());
    }
  }
}
