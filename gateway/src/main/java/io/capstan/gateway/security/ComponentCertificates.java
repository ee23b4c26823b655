package io.capstan.gateway.security;

import io.capstan.logschema.client.CommandClientConfig;
import io.capstan.logschema.session.ComponentCredentials;
import io.capstan.logschema.session.ComponentSessions;
import io.capstan.logschema.session.SessionProtocol;
import io.capstan.stateviews.processor.authn.CommandAuthentication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Components' keys and certificates under the data dir's {@code pki/} (docs/identity.md section
 * 2): each identity a command client of this process acts as gets a key and a certificate from
 * the cluster CA (CN = identity, O = groups), issued on its first command and reused while valid,
 * as {@code node-N.crt} is for a node agent's TokenRequests; and the processor's side, the CA it
 * trusts and the ticket keys ({@code pki/ticket.key}).
 */
public final class ComponentCertificates {
  /** The gateway's identity: the one trusted to send commands as the users it authenticated. */
  public static final String GATEWAY_IDENTITY = CommandClientConfig.ACTOR_PREFIX + "gateway";

  private ComponentCertificates() {}

  /**
   * This process's command clients open sessions with certificates issued from {@code pkiDir}'s
   * CA. The certificates of {@code early} (the first writers of a start, on its critical path)
   * are issued at once on a background thread, which also warms the session's crypto (the JDK's
   * first ECDSA signature and X25519 agreement cost hundreds of milliseconds), so a start does not
   * wait for either.
   */
  public static void install(Path pkiDir, String... early) {
    try {
      CertificateAuthority.ensureCa(pkiDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, ComponentCredentials> issued = new ConcurrentHashMap<>();
    ComponentSessions.install(identity -> Optional.of(issued.computeIfAbsent(identity, id -> issue(pkiDir, id))));
    if (early.length > 0) {
      Thread warm = new Thread(() -> {
        try {
          for (String id : early) {
            ComponentCredentials c = issued.computeIfAbsent(id, i -> issue(pkiDir, i));
            SessionProtocol.encodeRequest(c, "warm-up", "warm-up", System.currentTimeMillis(),
                SessionProtocol.newShare().getPublic());
          }
        } catch (RuntimeException e) {
          // the first command of the identity issues it again and says what is wrong
        }
      }, "capstan-session-warm-up");
      warm.setDaemon(true);
      warm.start();
    }
  }

  /**
   * For a component run alone on its data dir: as {@link #install} when the data dir holds the
   * cluster's PKI ({@code pki/ca.crt}, {@code ca.key} and {@code ticket.key} copied from the data
   * dir of the {@code up} that made them, the way {@code encryption-config.yaml} is shared); else
   * nothing, and its commands go without a session.
   */
  public static boolean installIfPresent(Path dataDir) {
    Path pki = dataDir.resolve("pki");
    if (!sharesClusterPki(dataDir)) {
      return false;
    }
    install(pki);
    return true;
  }

  /** True when {@code dataDir/pki} holds a CA with its key and the ticket keys: a cluster's PKI. */
  public static boolean sharesClusterPki(Path dataDir) {
    Path pki = dataDir.resolve("pki");
    return Files.exists(pki.resolve("ca.crt")) && Files.exists(pki.resolve("ca.key"))
        && Files.exists(pki.resolve(io.capstan.stateviews.processor.authn.TicketKeys.FILE_NAME));
  }

  /** What the processor of the cluster whose PKI is {@code pkiDir} authenticates components with. */
  public static CommandAuthentication authentication(Path pkiDir) {
    try {
      CertificateAuthority.ensureCa(pkiDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return CommandAuthentication.fromPki(pkiDir).warmedUp();
  }

  /** The groups an identity's certificate names. */
  public static List<String> groupsOf(String identity) {
    if (identity.startsWith(CommandClientConfig.NODE_IDENTITY_PREFIX)) {
      return List.of("system:nodes");
    }
    if (identity.equals(GATEWAY_IDENTITY)) {
      return List.of(SessionProtocol.ASSERTING_GROUP);
    }
    return List.of();
  }

  /** The file name of an identity's certificate: {@code node-N} for nodes (shared with their TokenRequests), else {@code component-<identity>}. */
  public static String baseName(String identity) {
    if (identity.startsWith(CommandClientConfig.NODE_IDENTITY_PREFIX)) {
      return "node-" + identity.substring(CommandClientConfig.NODE_IDENTITY_PREFIX.length());
    }
    return "component-" + identity.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  private static synchronized ComponentCredentials issue(Path pkiDir, String identity) {
    try {
      CertificateAuthority.ClientCertFiles files = CertificateAuthority.ensureClient(pkiDir, baseName(identity),
          identity, groupsOf(identity));
      return new ComponentCredentials(identity, List.of(CertificateAuthority.readCertificate(files.cert())),
          CertificateAuthority.readKey(files.key()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue the certificate of " + identity + " in " + pkiDir + ": "
          + e.getMessage(), e);
    }
  }
}
