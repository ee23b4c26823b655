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
 * <p>Layout: {@code capstan:enc:v1:<key name>:} (ASCII), then the wrap's 12-byte nonce, the wrapped
 * data key (32 bytes + 16-byte tag), the data's 12-byte nonce and the ciphertext with its tag. The
 * prefix is authenticated by both encryptions, and the data encryption also authenticates a
 * context given by the caller (the object's key), so a sealed value copied to another object or
 * relabelled with another key name fails to open.
 */
public final class Envelope {
  public static final String PREFIX = "capstan:enc:v1:";
  private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.US_ASCII);
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
      byte[] wrapped = crypt(Cipher.ENCRYPT_MODE, kek.secret(), wrapNonce, header, dek);
      byte[] ciphertext = crypt(Cipher.ENCRYPT_MODE, dek, dataNonce, concat(header, context), plaintext);
      return ByteBuffer.allocate(header.length + NONCE_BYTES + wrapped.length + NONCE_BYTES + ciphertext.length)
          .put(header).put(wrapNonce).put(wrapped).put(dataNonce).put(ciphertext).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed: " + e, e);
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  /** True when {@code bytes} start like an envelope (they may still fail to open). */
  public static boolean isEnvelope(byte[] bytes) {
    return bytes != null && bytes.length > PREFIX_BYTES.length
        && Arrays.equals(bytes, 0, PREFIX_BYTES.length, PREFIX_BYTES, 0, PREFIX_BYTES.length);
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
    int minimum = h.length + NONCE_BYTES + WRAPPED_KEY_BYTES + NONCE_BYTES + TAG_BYTES;
    if (envelope.length < minimum) {
      throw new SealedDataException(SealedDataException.Reason.MALFORMED, h.keyName,
          "sealed data with key " + h.keyName + " is truncated (" + envelope.length + " bytes)");
    }
    byte[] header = Arrays.copyOfRange(envelope, 0, h.length);
    int at = h.length;
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
    for (int i = PREFIX_BYTES.length; i < bytes.length && i < PREFIX_BYTES.length + 256; i++) {
      if (bytes[i] == ':') {
        if (i == PREFIX_BYTES.length) {
          break;
        }
        return new Header(new String(bytes, PREFIX_BYTES.length, i - PREFIX_BYTES.length, StandardCharsets.US_ASCII),
            i + 1);
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
