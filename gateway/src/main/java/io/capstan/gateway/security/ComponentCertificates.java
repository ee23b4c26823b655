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

  /** How long a certificate {@link #issueTo} hands out is valid: a year, as kubeadm's component certificates. */
  public static final java.time.Duration ISSUED_VALIDITY = java.time.Duration.ofDays(365);

  /**
   * Issues {@code identity}'s key and certificate from the CA of {@code pkiDir} into
   * {@code outDir} ({@code <base>.crt}, {@code <base>.key} mode 0600, and the CA's certificate
   * {@code ca.crt}), for a component that runs on another machine: it gets its own credential
   * and never the CA key (least privilege; the admin runs this where the CA is).
   */
  public static CertificateAuthority.ClientCertFiles issueTo(Path pkiDir, String identity, Path outDir)
      throws IOException {
    if (!Files.exists(CertificateAuthority.caCert(pkiDir)) || !Files.exists(pkiDir.resolve("ca.key"))) {
      throw new IllegalArgumentException(pkiDir + " holds no cluster CA (ca.crt and ca.key): run this on the data"
          + " dir of the `capstan up` that made it");
    }
    try {
      CertificateAuthority.IssuedClient issued = CertificateAuthority.issueClient(pkiDir, identity, groupsOf(identity),
          ISSUED_VALIDITY);
      Files.createDirectories(outDir);
      CertificateAuthority.ClientCertFiles files = new CertificateAuthority.ClientCertFiles(
          outDir.resolve(baseName(identity) + ".crt"), outDir.resolve(baseName(identity) + ".key"));
      CertificateAuthority.writePem(files.key(), "PRIVATE KEY", issued.key().getEncoded(), true);
      CertificateAuthority.writePem(files.cert(), "CERTIFICATE", issued.certificate().getEncoded(), false);
      Files.copy(CertificateAuthority.caCert(pkiDir), outDir.resolve("ca.crt"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return files;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot issue the certificate of " + identity + ": " + e.getMessage(), e);
    }
  }

  /**
   * This process's command clients open sessions with the certificate {@code certFile} and its
   * key (issued by {@link #issueTo}), for the certificate's identity (its CN) only: a client acting
   * as anyone else has no credentials, and an authenticating processor refuses its commands.
   *
   * @param expected the identity the component acts as; a certificate of another is refused here,
   *                 naming both, rather than at its first write
   * @return the identity
   */
  public static String installIssued(Path certFile, Path keyFile, String expected) {
    ComponentCredentials credentials;
    try {
      java.security.cert.X509Certificate cert = CertificateAuthority.readCertificate(certFile);
      String identity = ClientCertificateAuthenticator.userOf(cert).name();
      if (expected != null && !expected.equals(identity)) {
        throw new IllegalArgumentException(certFile + " is the certificate of \"" + identity + "\"; this component"
            + " acts as \"" + expected + "\"");
      }
      cert.checkValidity();
      java.security.PrivateKey key = CertificateAuthority.readKey(keyFile);
      java.security.Signature probe = java.security.Signature.getInstance("SHA256withECDSA");
      probe.initSign(key);
      probe.update(certFile.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byte[] signed = probe.sign();
      probe.initVerify(cert.getPublicKey());
      probe.update(certFile.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (!probe.verify(signed)) {
        throw new IllegalArgumentException(keyFile + " is not the key of the certificate " + certFile);
      }
      credentials = new ComponentCredentials(identity, List.of(cert), key);
    } catch (java.security.cert.CertificateExpiredException | java.security.cert.CertificateNotYetValidException e) {
      throw new IllegalArgumentException(certFile + " is not valid now: " + e.getMessage(), e);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new IllegalArgumentException("cannot read the certificate " + certFile + " and key " + keyFile + ": "
          + e.getMessage(), e);
    }
    ComponentCredentials c = credentials;
    ComponentSessions.install(identity -> identity.equals(c.identity()) ? Optional.of(c) : Optional.empty());
    return c.identity();
  }

  /**
   * True when {@code dataDir/pki} holds what a processor authenticates components with: the CA's
   * certificate and the ticket keys, copied from the cluster's {@code pki/}. Not the CA key: a
   * processor verifies certificates, it issues none.
   */
  public static boolean verifiesComponents(Path dataDir) {
    Path pki = dataDir.resolve("pki");
    return Files.exists(CertificateAuthority.caCert(pki))
        && Files.exists(pki.resolve(io.capstan.stateviews.processor.authn.TicketKeys.FILE_NAME));
  }

  /**
   * What the processor of the cluster whose PKI is {@code pkiDir} authenticates components with
   * (a CA is made there first when it has none: {@code up}'s first start).
   */
  public static CommandAuthentication authentication(Path pkiDir) {
    try {
      if (!Files.exists(CertificateAuthority.caCert(pkiDir))) {
        CertificateAuthority.ensureCa(pkiDir);
      }
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
