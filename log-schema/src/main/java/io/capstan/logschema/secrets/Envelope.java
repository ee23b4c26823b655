package io.capstan.logschema.secrets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope encryption with the JDK's AES-GCM: each sealed value gets a fresh random 256-bit data
 * key that encrypts it, and the data key is itself encrypted ("wrapped") by a key-encryption key
 * of the {@link EncryptionConfig}. The envelope names that key in clear, as kube-apiserver's
 * {@code k8s:enc:<provider>:v1:<key name>:} prefix does, so a reader knows which key to use and
 * rotation can find what still depends on an old one.
 *
 * <p>Layout: {@code capstan:enc:v2:<key name>:} (ASCII), a 32-byte fingerprint, then the wrap's
 * 12-byte nonce, the wrapped data key (32 bytes + 16-byte tag), the data's 12-byte nonce and the
 * ciphertext with its tag. The prefix and the fingerprint are authenticated by both encryptions,
 * and the data encryption also authenticates a context given by the caller (the object's key), so
 * a sealed value copied to another object or relabelled with another key name fails to open.
 *
 * <p>The fingerprint is an HMAC-SHA256 of the context and the plaintext under a key derived from
 * the key-encryption key: sealing the same values for the same object with the same key gives the
 * same fingerprint, although the ciphertext differs (fresh data key and nonces). It lets a reader
 * without the keys (the command processor) tell that an update left the values as they were, and
 * says nothing else about them. Envelopes of the first layout ({@code capstan:enc:v1:}, no
 * fingerprint) still open.
 */
public final class Envelope {
  public static final String PREFIX = "capstan:enc:v2:";
  /** The first layout's prefix: no fingerprint. */
  static final String PREFIX_V1 = "capstan:enc:v1:";
  private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PREFIX_V1_BYTES = PREFIX_V1.getBytes(StandardCharsets.US_ASCII);
  private static final int FINGERPRINT_BYTES = 32;
  private static final byte[] FINGERPRINT_LABEL = "capstan secret fingerprint v1".getBytes(StandardCharsets.US_ASCII);
  private static final String CIPHER = "AES/GCM/NoPadding";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final int TAG_BYTES = TAG_BITS / 8;
  private static final int WRAPPED_KEY_BYTES = EncryptionConfig.KEY_BYTES + TAG_BYTES;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Envelope() {}

  /** Seals {@code plaintext} under the configuration's write key, bound to {@code context}. */
  public static byte[] seal(EncryptionConfig config, byte[] plaintext, byte[] context) {
    EncryptionConfig.Key kek = config.writeKey();
    byte[] header = (PREFIX + kek.name() + ":").getBytes(StandardCharsets.US_ASCII);
    byte[] dek = new byte[EncryptionConfig.KEY_BYTES];
    RANDOM.nextBytes(dek);
    byte[] wrapNonce = nonce();
    byte[] dataNonce = nonce();
    try {
      byte[] fingerprint = fingerprint(kek.secret(), context, plaintext);
      byte[] authenticated = concat(header, fingerprint);
      byte[] wrapped = crypt(Cipher.ENCRYPT_MODE, kek.secret(), wrapNonce, authenticated, dek);
      byte[] ciphertext = crypt(Cipher.ENCRYPT_MODE, dek, dataNonce, concat(authenticated, context), plaintext);
      return ByteBuffer.allocate(authenticated.length + NONCE_BYTES + wrapped.length + NONCE_BYTES + ciphertext.length)
          .put(authenticated).put(wrapNonce).put(wrapped).put(dataNonce).put(ciphertext).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed: " + e, e);
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  /** True when {@code bytes} start like an envelope (they may still fail to open). */
  public static boolean isEnvelope(byte[] bytes) {
    return startsWith(bytes, PREFIX_BYTES) || startsWith(bytes, PREFIX_V1_BYTES);
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes != null && bytes.length > prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  /**
   * True when {@code a} and {@code b} seal the same plaintext for the same context under the same
   * key, as their fingerprints say; false when they differ or either has none (the first layout).
   */
  public static boolean sameSealedValue(byte[] a, byte[] b) {
    byte[] fa = fingerprintOf(a);
    byte[] fb = fingerprintOf(b);
    return fa != null && fb != null && header(a).keyName.equals(header(b).keyName)
        && java.security.MessageDigest.isEqual(fa, fb);
  }

  private static byte[] fingerprintOf(byte[] envelope) {
    if (!startsWith(envelope, PREFIX_BYTES)) {
      return null;
    }
    Header h = header(envelope);
    return envelope.length < h.length + FINGERPRINT_BYTES ? null
        : Arrays.copyOfRange(envelope, h.length, h.length + FINGERPRINT_BYTES);
  }

  private static byte[] fingerprint(byte[] kek, byte[] context, byte[] plaintext) throws GeneralSecurityException {
    javax.crypto.Mac derive = javax.crypto.Mac.getInstance("HmacSHA256");
    derive.init(new SecretKeySpec(kek, "HmacSHA256"));
    byte[] key = derive.doFinal(FINGERPRINT_LABEL);
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      // the context's length first, so that context and plaintext cannot trade bytes
      mac.update(ByteBuffer.allocate(4).putInt(context.length).array());
      mac.update(context);
      return mac.doFinal(plaintext);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * The name of the key an envelope was sealed with.
   *
   * @throws SealedDataException (MALFORMED) when {@code bytes} are not an envelope
   */
  public static String keyName(byte[] bytes) {
    return header(bytes).keyName;
  }

  /**
   * Opens an envelope sealed for {@code context}.
   *
   * @throws SealedDataException when its key is retired or unknown, or it does not authenticate
   */
  public static byte[] open(EncryptionConfig config, byte[] envelope, byte[] context) {
    Header h = header(envelope);
    EncryptionConfig.Key kek = config.key(h.keyName).orElseThrow(() -> config.isRetired(h.keyName)
        ? new SealedDataException(SealedDataException.Reason.RETIRED_KEY, h.keyName,
            "encrypted with retired key " + h.keyName)
        : new SealedDataException(SealedDataException.Reason.UNKNOWN_KEY, h.keyName,
            "encrypted with key " + h.keyName + ", which the encryption configuration does not have (it has "
                + config.keys().stream().map(EncryptionConfig.Key::name).toList() + ")"));
    int authenticatedLength = h.length + (startsWith(envelope, PREFIX_BYTES) ? FINGERPRINT_BYTES : 0);
    int minimum = authenticatedLength + NONCE_BYTES + WRAPPED_KEY_BYTES + NONCE_BYTES + TAG_BYTES;
    if (envelope.length < minimum) {
      throw new SealedDataException(SealedDataException.Reason.MALFORMED, h.keyName,
          "sealed data with key " + h.keyName + " is truncated (" + envelope.length + " bytes)");
    }
    byte[] header = Arrays.copyOfRange(envelope, 0, authenticatedLength);
    int at = authenticatedLength;
    byte[] wrapNonce = Arrays.copyOfRange(envelope, at, at += NONCE_BYTES);
    byte[] wrapped = Arrays.copyOfRange(envelope, at, at += WRAPPED_KEY_BYTES);
    byte[] dataNonce = Arrays.copyOfRange(envelope, at, at += NONCE_BYTES);
    byte[] ciphertext = Arrays.copyOfRange(envelope, at, envelope.length);
    byte[] dek = null;
    try {
      dek = crypt(Cipher.DECRYPT_MODE, kek.secret(), wrapNonce, header, wrapped);
      return crypt(Cipher.DECRYPT_MODE, dek, dataNonce, concat(header, context), ciphertext);
    } catch (AEADBadTagException e) {
      throw new SealedDataException(SealedDataException.Reason.TAMPERED, h.keyName,
          "sealed data with key " + h.keyName + " does not authenticate: altered, or sealed for another object");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed: " + e, e);
    } finally {
      if (dek != null) {
        Arrays.fill(dek, (byte) 0);
      }
    }
  }

  private record Header(String keyName, int length) {}

  private static Header header(byte[] bytes) {
    if (!isEnvelope(bytes)) {
      throw new SealedDataException(SealedDataException.Reason.MALFORMED, null,
          "not sealed data (no " + PREFIX + " prefix)");
    }
    int start = PREFIX_BYTES.length; // both layouts' prefixes are as long
    for (int i = start; i < bytes.length && i < start + 256; i++) {
      if (bytes[i] == ':') {
        if (i == start) {
          break;
        }
        return new Header(new String(bytes, start, i - start, StandardCharsets.US_ASCII), i + 1);
      }
    }
    throw new SealedDataException(SealedDataException.Reason.MALFORMED, null, "sealed data names no key");
  }

  private static byte[] crypt(int mode, byte[] key, byte[] nonce, byte[] aad, byte[] input)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance(CIPHER);
    c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(aad);
    return c.doFinal(input);
  }

  private static byte[] nonce() {
    byte[] n = new byte[NONCE_BYTES];
    RANDOM.nextBytes(n);
    return n;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
