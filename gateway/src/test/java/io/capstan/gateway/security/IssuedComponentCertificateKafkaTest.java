package io.capstan.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Node;
import io.capstan.api.NodeSpec;
import io.capstan.api.ObjectMeta;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.client.CommandResult;
import io.capstan.logschema.session.ComponentSessions;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.processor.CommandProcessor;
import io.capstan.stateviews.processor.ProcessorConfig;
import io.capstan.stateviews.testing.KafkaFixture;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A component run on its own with a certificate issued for it ({@link ComponentCertificates#issueTo}),
 * against an authenticating processor on the real broker: it holds no CA key, writes as its own
 * identity, and is refused as any other: a node with node n1's certificate may write Node n1, is
 * refused Node n2 by NodeRestriction (403), and cannot act as system:node:n2 at all (401).
 */
class IssuedComponentCertificateKafkaTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path caMachine;
  @TempDir Path nodeMachine;
  @TempDir Path processorMachine;

  @AfterEach
  void clearSessions() {
    ComponentSessions.clear();
  }

  @Test
  void aNodeWithAnIssuedCertificateWritesItsOwnNodeOnly() throws Exception {
    Path pki = caMachine.resolve("pki");
    CertificateAuthority.ensureCa(pki);
    CertificateAuthority.ClientCertFiles files = ComponentCertificates.issueTo(pki, "system:node:n1", nodeMachine);
    assertTrue(Files.exists(nodeMachine.resolve("ca.crt")));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.key())));
    try (var listing = Files.list(nodeMachine)) {
      assertFalse(listing.anyMatch(f -> f.getFileName().toString().equals("ca.key")), "the CA key stays where it is");
    }
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
        () -> ComponentCertificates.installIssued(files.cert(), files.key(), "system:node:n2"));
    assertTrue(other.getMessage().contains("\"system:node:n1\"") && other.getMessage().contains("\"system:node:n2\""),
        other.getMessage());
    assertEquals("system:node:n1", ComponentCertificates.installIssued(files.cert(), files.key(), "system:node:n1"));
    assertTrue(ComponentSessions.credentials("system:node:n1").isPresent());
    assertTrue(ComponentSessions.credentials("system:node:n2").isEmpty(), "only the certificate's identity");

    TopicLayout layout = KafkaFixture.freshLayout(2);
    Map<String, Object> kafka = KafkaFixture.clientConfig();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // The processor's machine holds the CA's certificate and the ticket keys, not the CA key.
    Path processorPki = processorMachine.resolve("pki");
    Files.createDirectories(processorPki);
    Files.copy(CertificateAuthority.caCert(pki), CertificateAuthority.caCert(processorPki));
    ProcessorConfig pc = ProcessorConfig.defaults(kafka, layout, KafkaFixture.tempDir("issued-cert"))
        .withAuthentication(ComponentCertificates.authentication(processorPki));
    assertTrue(ComponentCertificates.verifiesComponents(processorMachine));
    assertFalse(Files.exists(processorPki.resolve("ca.key")), "a processor needs no CA key");
    assertEquals(Files.readString(CertificateAuthority.caCert(pki)), Files.readString(CertificateAuthority.caCert(processorPki)));
    try (CommandProcessor processor = new CommandProcessor(pc, registry);
        CommandClient n1 = new CommandClient(CommandClientConfig.identified(kafka, layout, "node-agent",
            "system:node:n1"), registry);
        CommandClient posingAsN2 = new CommandClient(CommandClientConfig.identified(kafka, layout, "node-agent",
            "system:node:n2"), registry)) {
      processor.start();
      processor.awaitRunning(WAIT);

      assertInstanceOf(CommandResult.Accepted.class, result(n1.create(node("n1"))), "its own Node");
      ErrorStatus othersNode = rejected(n1.create(node("n2")));
      assertEquals(403, othersNode.getCode(), othersNode.getMessage());
      assertTrue(othersNode.getMessage().contains("node \"n1\" is not allowed to modify node \"n2\""),
          othersNode.getMessage());
      ErrorStatus posing = rejected(posingAsN2.create(node("n2")));
      assertEquals(401, posing.getCode(), posing.getMessage());
    }
  }

  private static Node node(String name) {
    return Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name).build())
        .setSpec(NodeSpec.newBuilder().build()).build();
  }

  private static CommandResult result(CompletableFuture<CommandResult> f) throws Exception {
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static ErrorStatus rejected(CompletableFuture<CommandResult> f) throws Exception {
    CommandResult r = result(f);
    return assertInstanceOf(CommandResult.Rejected.class, r, () -> "expected a refusal, got " + r).status();
  }
}
