package io.capstan.logschema.session;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The wire format of components' sessions (docs/identity.md section 2), shared by the command
 * client and the processor. JDK crypto only: X25519 for the session key agreement, the
 * certificate's own key (ECDSA P-256 from the cluster CA) for the request's signature,
 * HMAC-SHA256 per command.
 *
 * <p>A session request is a record on the commands topic under {@link #SESSION_KEY}; its value:
 * magic, request id (the nonce), the client id its answer is keyed by, the client's time (ms),
 * its X25519 public share, its certificate chain, then the signature over all of that. The answer
 * is a Reply to the client id whose headers carry the ticket, the processor's share and the
 * ticket's notAfter.
 */
public final class SessionProtocol {
  /** The key session requests are sent under (so all of them reach one partition's task). */
  public static final String SESSION_KEY = "~session";
  /** On every command: the ticket the processor issued to the sender's session. */
  public static final String TICKET_HEADER = "capstan.ticket";
  /** On every command: HMAC-SHA256 of the record value under the session key. */
  public static final String MAC_HEADER = "capstan.mac";
  /** On a session answer: the processor's X25519 public share. */
  public static final String SHARE_HEADER = "capstan.session-share";
  /** On a session answer: when the ticket expires, ms since the epoch, in decimal. */
  public static final String NOT_AFTER_HEADER = "capstan.session-not-after";
  /** The ticket header of the processor's own follow-up commands (quota and allocation steps): then the MAC is under the processor key. */
  public static final String PROCESSOR_TICKET_PREFIX = "processor:";
  /**
   * The group of identities trusted to assert users: their commands may carry any actor (the
   * gateway's, which authenticated and authorized the user first).
   */
  public static final String ASSERTING_GROUP = "system:capstan:user-asserters";
  /** How far a session request's time may be from the processor's clock. */
  public static final long MAX_CLOCK_SKEW_MS = 5 * 60 * 1000L;
  /** How long a ticket is valid; clients renew at {@link #RENEW_AT} of it. */
  public static final long TICKET_LIFETIME_MS = 60 * 60 * 1000L;
  public static final double RENEW_AT = 0.8;
  private static final int MAGIC = 0x43535331; // "CSS1"

  private SessionProtocol() {}

  public static boolean isSessionKey(String key) {
    return SESSION_KEY.equals(key);
  }

  /** A decoded session request; {@code signed} is the part the signature covers. */
  public record Request(String requestId, String clientId, long timeMillis, byte[] share,
      List<X509Certificate> chain, byte[] signed, byte[] signature) {}

  /** A fresh X25519 key pair: one per session, on each side. */
  public static KeyPair newShare() {
    try {
      return KeyPairGenerator.getInstance("X25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no X25519: " + e, e);
    }
  }

  /** The signed session request of {@code credentials}. */
  public static byte[] encodeRequest(ComponentCredentials credentials, String requestId, String clientId,
      long timeMillis, PublicKey share) {
    try {
      ByteArrayOutputStream buf = new ByteArrayOutputStream(1024);
      DataOutputStream out = new DataOutputStream(buf);
      out.writeInt(MAGIC);
      out.writeUTF(requestId);
      out.writeUTF(clientId);
      out.writeLong(timeMillis);
      byte[] s = share.getEncoded();
      out.writeShort(s.length);
      out.write(s);
      out.writeShort(credentials.chain().size());
      for (X509Certificate c : credentials.chain()) {
        byte[] der = c.getEncoded();
        out.writeInt(der.length);
        out.write(der);
      }
      out.flush();
      byte[] signed = buf.toByteArray();
      Signature sig = Signature.getInstance(signatureAlgorithm(credentials.key()));
      sig.initSign(credentials.key());
      sig.update(signed);
      byte[] signature = sig.sign();
      out.writeShort(signature.length);
      out.write(signature);
      out.flush();
      return buf.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign the session request of " + credentials.identity() + ": " + e, e);
    }
  }

  /** @throws IllegalArgumentException when {@code bytes} is not a session request */
  public static Request decodeRequest(byte[] bytes) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException("not a session request");
      }
      String requestId = in.readUTF();
      String clientId = in.readUTF();
      long time = in.readLong();
      byte[] share = in.readNBytes(in.readUnsignedShort());
      int n = in.readUnsignedShort();
      if (n < 1 || n > 4) {
        throw new IllegalArgumentException("a session request needs 1 to 4 certificates, it has " + n);
      }
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      List<X509Certificate> chain = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int len = in.readInt();
        if (len < 0 || len > 16_384) {
          throw new IllegalArgumentException("a certificate of " + len + " bytes");
        }
        chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(in.readNBytes(len))));
      }
      int signedLength = bytes.length - in.available();
      byte[] signed = java.util.Arrays.copyOf(bytes, signedLength);
      byte[] signature = in.readNBytes(in.readUnsignedShort());
      return new Request(requestId, clientId, time, share, chain, signed, signature);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("a malformed session request: " + e.getMessage(), e);
    }
  }

  public static String signatureAlgorithm(Key key) {
    return switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
    };
  }

  /**
   * The 256-bit session key both sides derive: HMAC-SHA256 keyed by the X25519 shared secret over
   * the request id (an HKDF extract bound to this session).
   */
  public static SecretKey sessionKey(PrivateKey mine, byte[] theirShare, String requestId) {
    try {
      PublicKey theirs = KeyFactory.getInstance("X25519").generatePublic(new X509EncodedKeySpec(theirShare));
      KeyAgreement ka = KeyAgreement.getInstance("X25519");
      ka.init(mine);
      ka.doPhase(theirs, true);
      byte[] shared = ka.generateSecret();
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(shared, "HmacSHA256"));
      return new SecretKeySpec(mac.doFinal(("capstan session " + requestId).getBytes(StandardCharsets.UTF_8)),
          "HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot agree on a session key: " + e.getMessage(), e);
    }
  }

  /** A fresh HMAC-SHA256 instance (not thread-safe: one per thread or guarded). */
  public static Mac newMac() {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HMAC-SHA256 of {@code value} under {@code key}, with {@code mac} (re-initialised). */
  public static byte[] mac(Mac mac, SecretKey key, byte[] value) {
    try {
      mac.init(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(e);
    }
    return mac.doFinal(value);
  }
}
