package io.capstan.stateviews.processor.authn;

import io.capstan.logschema.session.SessionProtocol;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * What a processor authenticates components with (docs/identity.md section 2): the cluster CA
 * their certificates must chain to and the ticket keys. Shared by the processor's tasks
 * (immutable); each task checks commands with its own {@link CommandAuthenticator}.
 *
 * <p>A ticket is {@code version, key id, IV, AES-256-GCM(key, {notAfter, session key, identity,
 * groups})} with the version and key id as associated data: only a holder of the ticket key can
 * make or read one, and a changed byte fails to open.
 */
public final class CommandAuthentication {
  /** The group of identities trusted to assert other users' names (the gateway's). */
  public static final String ASSERTING_GROUP = SessionProtocol.ASSERTING_GROUP;
  private static final byte TICKET_VERSION = 1;
  private static final int IV_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate ca;
  private final java.util.function.Supplier<TicketKeys> keys;
  private final long ticketLifetimeMs;

  public CommandAuthentication(X509Certificate ca, TicketKeys keys) {
    this(ca, keys == null ? null : () -> keys, SessionProtocol.TICKET_LIFETIME_MS);
  }

  /** With the ticket keys as {@code keys} gives them at each use (a {@link TicketKeyFile} follows its file). */
  public CommandAuthentication(X509Certificate ca, java.util.function.Supplier<TicketKeys> keys) {
    this(ca, keys, SessionProtocol.TICKET_LIFETIME_MS);
  }

  private CommandAuthentication(X509Certificate ca, java.util.function.Supplier<TicketKeys> keys,
      long ticketLifetimeMs) {
    if (ca == null || keys == null) {
      throw new IllegalArgumentException("command authentication needs the cluster CA and the ticket keys");
    }
    this.ca = ca;
    this.keys = keys;
    this.ticketLifetimeMs = ticketLifetimeMs;
  }

  /**
   * The CA certificate {@code pkiDir/ca.crt} and the ticket keys {@code pkiDir/ticket.key}
   * (made, mode 0600, when absent; reloaded when it changes, so that a rotation needs no restart).
   */
  public static CommandAuthentication fromPki(Path pkiDir) {
    Path caFile = pkiDir.resolve("ca.crt");
    try (InputStream in = Files.newInputStream(caFile)) {
      X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return new CommandAuthentication(ca, TicketKeyFile.ensure(pkiDir.resolve(TicketKeys.FILE_NAME)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster CA " + caFile + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the cluster CA " + caFile + " is not a certificate: " + e.getMessage(), e);
    }
  }

  /**
   * Runs each piece of the session's crypto once on a background thread (X.509 parsing and
   * verification, ECDSA, X25519, AES-GCM): the JDK's first use of each costs hundreds of
   * milliseconds, which the processor's own start hides, instead of the first session request.
   */
  public CommandAuthentication warmedUp() {
    Thread t = new Thread(() -> {
      try {
        X509Certificate copy = (X509Certificate) CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(ca.getEncoded()));
        copy.verify(copy.getPublicKey()); // the CA signs itself
        identityOf(copy);
        java.security.KeyPairGenerator ec = java.security.KeyPairGenerator.getInstance("EC");
        ec.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair pair = ec.generateKeyPair();
        Signature sig = Signature.getInstance("SHA256withECDSA");
        sig.initSign(pair.getPrivate());
        sig.update(new byte[16]);
        byte[] signature = sig.sign();
        sig.initVerify(pair.getPublic());
        sig.update(new byte[16]);
        sig.verify(signature);
        java.security.KeyPair share = SessionProtocol.newShare();
        SecretKeySpec key = (SecretKeySpec) SessionProtocol.sessionKey(share.getPrivate(),
            SessionProtocol.newShare().getPublic().getEncoded(), "warm-up");
        open(seal(new Identity("warm-up", List.of()), key, 0));
        SessionProtocol.mac(SessionProtocol.newMac(), key, new byte[16]);
      } catch (GeneralSecurityException | RuntimeException e) {
        // only a warm-up: the first session request meets the same problem and names it
      }
    }, "capstan-authentication-warm-up");
    t.setDaemon(true);
    t.start();
    return this;
  }

  /** The same with tickets that live {@code lifetime} (tests). */
  public CommandAuthentication withTicketLifetime(Duration lifetime) {
    return new CommandAuthentication(ca, keys, lifetime.toMillis());
  }

  /** The ticket keys as they are now (take them once per use: a rotation may replace them). */
  public TicketKeys keys() {
    return keys.get();
  }

  long ticketLifetimeMs() {
    return ticketLifetimeMs;
  }

  /** A new per-task checker. */
  public CommandAuthenticator authenticator() {
    return new CommandAuthenticator(this);
  }

  /** Who a certificate names: CN the user, each O a group, as Kubernetes' X.509 authentication reads them. */
  public record Identity(String name, List<String> groups) {
    public boolean asserts() {
      return groups.contains(ASSERTING_GROUP);
    }
  }

  /** An opened ticket. */
  record Opened(Identity identity, SecretKey sessionKey, long notAfter) {}

  /**
   * Checks a session request's chain against the CA, its signature and its time.
   *
   * @throws IllegalArgumentException with the reason it is refused
   */
  Identity verify(SessionProtocol.Request r, long nowMillis) {
    if (Math.abs(nowMillis - r.timeMillis()) > SessionProtocol.MAX_CLOCK_SKEW_MS) {
      throw new IllegalArgumentException("the session request's time " + java.time.Instant.ofEpochMilli(r.timeMillis())
          + " is more than 5 minutes from the processor's");
    }
    List<X509Certificate> chain = r.chain();
    Date now = new Date(nowMillis);
    try {
      for (int i = 0; i < chain.size(); i++) {
        X509Certificate c = chain.get(i);
        c.checkValidity(now);
        c.verify(i + 1 < chain.size() ? chain.get(i + 1).getPublicKey() : ca.getPublicKey());
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the certificate " + chain.get(0).getSubjectX500Principal().getName()
          + " does not chain to the cluster CA: " + e.getMessage());
    }
    X509Certificate leaf = chain.get(0);
    try {
      Signature sig = Signature.getInstance(SessionProtocol.signatureAlgorithm(leaf.getPublicKey()));
      sig.initVerify(leaf.getPublicKey());
      sig.update(r.signed());
      if (!sig.verify(r.signature())) {
        throw new IllegalArgumentException("the session request's signature does not match its certificate");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the session request's signature cannot be checked: " + e.getMessage());
    }
    return identityOf(leaf);
  }

  static Identity identityOf(X509Certificate cert) {
    String cn = null;
    List<String> groups = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = rdn.getValue().toString();
        } else if (rdn.getType().equalsIgnoreCase("O")) {
          groups.add(rdn.getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      throw new IllegalArgumentException("the certificate's subject cannot be read: " + e.getMessage());
    }
    if (cn == null || cn.isBlank()) {
      throw new IllegalArgumentException("the certificate names no common name (the identity)");
    }
    return new Identity(cn, List.copyOf(groups));
  }

  /** Seals a ticket for {@code identity}'s session under the current ticket key. */
  byte[] seal(Identity identity, SecretKey sessionKey, long notAfter) {
    try {
      ByteArrayOutputStream plain = new ByteArrayOutputStream(128);
      DataOutputStream out = new DataOutputStream(plain);
      out.writeLong(notAfter);
      byte[] s = sessionKey.getEncoded();
      out.writeByte(s.length);
      out.write(s);
      out.writeUTF(identity.name());
      out.writeShort(identity.groups().size());
      for (String g : identity.groups()) {
        out.writeUTF(g);
      }
      out.flush();
      TicketKeys now = keys.get();
      byte[] id = now.current().getBytes(StandardCharsets.UTF_8);
      byte[] header = new byte[2 + id.length];
      header[0] = TICKET_VERSION;
      header[1] = (byte) id.length;
      System.arraycopy(id, 0, header, 2, id.length);
      byte[] iv = new byte[IV_BYTES];
      RANDOM.nextBytes(iv);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, now.key(now.current()), new GCMParameterSpec(128, iv));
      c.updateAAD(header);
      byte[] sealed = c.doFinal(plain.toByteArray());
      return ByteBuffer.allocate(header.length + iv.length + sealed.length).put(header).put(iv).put(sealed).array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal a ticket: " + e, e);
    }
  }

  /** The ticket's content, or null when it does not open (forged, damaged, or under a key this processor lacks). */
  Opened open(byte[] ticket) {
    if (ticket.length < 2 + IV_BYTES + 16 || ticket[0] != TICKET_VERSION) {
      return null;
    }
    int idLength = ticket[1] & 0xff;
    if (ticket.length < 2 + idLength + IV_BYTES + 16) {
      return null;
    }
    SecretKey key = keys.get().key(new String(ticket, 2, idLength, StandardCharsets.UTF_8));
    if (key == null) {
      return null;
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      int ivAt = 2 + idLength;
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, ticket, ivAt, IV_BYTES));
      c.updateAAD(ticket, 0, ivAt);
      byte[] plain = c.doFinal(ticket, ivAt + IV_BYTES, ticket.length - ivAt - IV_BYTES);
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain));
      long notAfter = in.readLong();
      byte[] s = in.readNBytes(in.readUnsignedByte());
      String name = in.readUTF();
      int n = in.readUnsignedShort();
      List<String> groups = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        groups.add(in.readUTF());
      }
      return new Opened(new Identity(name, List.copyOf(groups)), new SecretKeySpec(s, "HmacSHA256"), notAfter);
    } catch (GeneralSecurityException | IOException e) {
      return null;
    }
  }

  /** For tests: a ticket as a processor of this cluster would issue it. */
  public byte[] ticketFor(String identity, List<String> groups, byte[] sessionKey, long notAfter) {
    return seal(new Identity(identity, groups), new SecretKeySpec(sessionKey, "HmacSHA256"), notAfter);
  }

  static boolean sameBytes(byte[] a, byte[] b) {
    return java.security.MessageDigest.isEqual(a, b);
  }

  static byte[] copy(byte[] a) {
    return Arrays.copyOf(a, a.length);
  }
}
