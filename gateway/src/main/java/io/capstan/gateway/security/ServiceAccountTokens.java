package io.capstan.gateway.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * ServiceAccount tokens as kube-apiserver issues and checks them: JWTs signed (ES256) with the
 * cluster's ServiceAccount key ({@code DATA_DIR/pki/sa.key}, owner-readable only, and
 * {@code sa.pub}), issuer and default audience {@value #ISSUER}, subject
 * {@code system:serviceaccount:NS:NAME}, and the private claim {@code kubernetes.io} naming the
 * namespace, the ServiceAccount (name, uid) and the object the token is bound to (a Pod or a
 * Secret: name, uid), with {@code exp}, {@code nbf} and {@code iat}.
 *
 * <p>A token is good while its signature verifies, it is not expired (nor used before
 * {@code nbf}), it names an accepted audience, and the ServiceAccount and bound object it names
 * still exist with the same uid: those are looked up in memory ({@link LiveObjects}, the
 * gateway's cache) on every request, so a token stops working as soon as its pod or
 * ServiceAccount is gone.
 */
public final class ServiceAccountTokens implements TokenAuthenticator {
  /** kube-apiserver's default {@code --service-account-issuer} and API audience. */
  public static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
  public static final List<String> API_AUDIENCES = List.of(ISSUER);
  /** TokenRequest's default lifetime (kube-apiserver's: one hour) and its minimum (ten minutes). */
  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
  public static final Duration MIN_LIFETIME = Duration.ofMinutes(10);
  public static final String PREFIX = "system:serviceaccount:";
  public static final String GROUP = "system:serviceaccounts";
  /** The extra attributes of a token user bound to a pod, as kube-apiserver names them. */
  public static final String EXTRA_POD_NAME = "authentication.kubernetes.io/pod-name";
  public static final String EXTRA_POD_UID = "authentication.kubernetes.io/pod-uid";
  public static final String EXTRA_CREDENTIAL_ID = "authentication.kubernetes.io/credential-id";
  private static final String CLAIMS = "kubernetes.io";

  /** Reads objects from memory: the uid of a live object, empty when there is none. */
  @FunctionalInterface
  public interface LiveObjects {
    /** @param kind {@code ServiceAccount}, {@code Pod} or {@code Secret} */
    Optional<String> uidOf(String kind, String namespace, String name);
  }

  /** The object a token is bound to: kind ({@code Pod} or {@code Secret}), name and uid. */
  public record BoundObject(String kind, String name, String uid) {}

  /** A token and when it expires. */
  public record Issued(String token, Instant expires) {}

  /** What checking a token found. */
  public sealed interface Result {
    /** A valid token: its user and the audiences of those accepted that it names. */
    record Valid(UserInfo user, List<String> audiences) implements Result {}

    /** A ServiceAccount token (of this issuer) that is not good, and why. */
    record Invalid(String reason) implements Result {}

    /** Not a ServiceAccount token of this issuer: another authenticator may know it. */
    record NotOurs() implements Result {}
  }

  private final ECPrivateKey signingKey;
  private final ECPublicKey verifyingKey;
  private final String keyId;
  private final ECDSAVerifier verifier;
  private final ECDSASigner signer;
  private final LiveObjects objects;
  private final Clock clock;
  /**
   * Claims of tokens whose signature verified, by the token's SHA-256 (never the token itself):
   * a client sends the same token on every request, and checking an ECDSA signature costs far
   * more than the rest. Expiry, audience and the live objects are still checked every time.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, JWTClaimsSet> verified =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final int VERIFIED_CACHE_SIZE = 10_000;

  public ServiceAccountTokens(KeyPair key, LiveObjects objects, Clock clock) {
    this.signingKey = (ECPrivateKey) key.getPrivate();
    this.verifyingKey = (ECPublicKey) key.getPublic();
    this.objects = objects;
    this.clock = clock;
    try {
      this.signer = new ECDSASigner(signingKey);
      this.verifier = new ECDSAVerifier(verifyingKey);
      this.keyId = Base64.getUrlEncoder().withoutPadding().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(verifyingKey.getEncoded()));
    } catch (JOSEException | GeneralSecurityException e) {
      throw new IllegalArgumentException("unusable ServiceAccount signing key: " + e.getMessage(), e);
    }
  }

  /**
   * The ServiceAccount signing key of {@code pkiDir} ({@code sa.key}, {@code sa.pub}), made
   * (ECDSA P-256) on first use, as kube-apiserver's {@code --service-account-signing-key-file}.
   */
  public static KeyPair ensureSigningKey(Path pkiDir) throws IOException {
    Path priv = pkiDir.resolve("sa.key");
    Path pub = pkiDir.resolve("sa.pub");
    try {
      if (Files.exists(priv) && Files.exists(pub)) {
        String text = Files.readString(pub).replace("-----BEGIN PUBLIC KEY-----", "")
            .replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
        return new KeyPair(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(
            Base64.getDecoder().decode(text))), CertificateAuthority.readKey(priv));
      }
      Files.createDirectories(pkiDir);
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
      kpg.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = kpg.generateKeyPair();
      CertificateAuthority.writePem(priv, "PRIVATE KEY", pair.getPrivate().getEncoded(), true);
      CertificateAuthority.writePem(pub, "PUBLIC KEY", pair.getPublic().getEncoded(), false);
      return pair;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("cannot read or make the ServiceAccount signing key " + priv + ": " + e.getMessage(), e);
    }
  }

  /**
   * A token for ServiceAccount {@code namespace/name} (uid {@code uid}) for {@code audiences}
   * (the API's when empty), valid for {@code lifetime} from now, bound to {@code bound} when not
   * null. The caller has checked that the ServiceAccount and the bound object exist.
   */
  public Issued issue(String namespace, String name, String uid, List<String> audiences, Duration lifetime,
      BoundObject bound) {
    Instant now = clock.instant();
    Instant expires = now.plus(lifetime);
    Map<String, Object> k8s = new LinkedHashMap<>();
    k8s.put("namespace", namespace);
    k8s.put("serviceaccount", Map.of("name", name, "uid", uid));
    if (bound != null) {
      k8s.put(bound.kind().toLowerCase(java.util.Locale.ROOT), Map.of("name", bound.name(), "uid", bound.uid()));
    }
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject(PREFIX + namespace + ":" + name)
        .audience(audiences.isEmpty() ? API_AUDIENCES : audiences)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(expires))
        .jwtID(UUID.randomUUID().toString())
        .claim(CLAIMS, k8s)
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(keyId).type(JOSEObjectType.JWT)
        .build(), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a ServiceAccount token: " + e.getMessage(), e);
    }
    // JWT times are whole seconds: the expiry the token carries
    return new Issued(jwt.serialize(), Instant.ofEpochSecond(expires.getEpochSecond()));
  }

  private static String digest(String token) {
    try {
      return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  @Override
  public Optional<UserInfo> authenticateToken(String token) {
    return check(token, API_AUDIENCES) instanceof Result.Valid v ? Optional.of(v.user()) : Optional.empty();
  }

  /** Checks a token for one of {@code accepted} audiences (the API's when empty), as TokenReview does. */
  public Result check(String token, List<String> accepted) {
    List<String> want = accepted.isEmpty() ? API_AUDIENCES : accepted;
    String digest = digest(token);
    JWTClaimsSet claims = verified.get(digest);
    if (claims == null) {
      SignedJWT jwt;
      try {
        jwt = SignedJWT.parse(token);
        claims = jwt.getJWTClaimsSet();
      } catch (ParseException e) {
        return new Result.NotOurs();
      }
      if (!ISSUER.equals(claims.getIssuer())) {
        return new Result.NotOurs();
      }
      try {
        if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
          return new Result.Invalid("invalid bearer token, the signature does not verify");
        }
      } catch (JOSEException e) {
        return new Result.Invalid("invalid bearer token, " + e.getMessage());
      }
      if (verified.size() >= VERIFIED_CACHE_SIZE) {
        verified.clear(); // crude, but bounded: a full cache starts again
      }
      verified.put(digest, claims);
    }
    Instant now = clock.instant();
    if (claims.getExpirationTime() == null || !now.isBefore(claims.getExpirationTime().toInstant())) {
      return new Result.Invalid("invalid bearer token, service account token has expired");
    }
    if (claims.getNotBeforeTime() != null && now.isBefore(claims.getNotBeforeTime().toInstant())) {
      return new Result.Invalid("invalid bearer token, service account token is not valid yet");
    }
    List<String> audiences = new ArrayList<>(claims.getAudience());
    audiences.retainAll(want);
    if (audiences.isEmpty()) {
      return new Result.Invalid("invalid bearer token, token audiences " + claims.getAudience()
          + " is invalid for the target audiences " + want);
    }
    Object raw = claims.getClaim(CLAIMS);
    if (!(raw instanceof Map<?, ?> k8s) || !(k8s.get("namespace") instanceof String namespace)
        || !(k8s.get("serviceaccount") instanceof Map<?, ?> sa) || !(sa.get("name") instanceof String name)
        || !(sa.get("uid") instanceof String uid)) {
      return new Result.Invalid("invalid bearer token, the kubernetes.io claim is missing or malformed");
    }
    if (!(PREFIX + namespace + ":" + name).equals(claims.getSubject())) {
      return new Result.Invalid("invalid bearer token, the subject does not name the service account");
    }
    Optional<String> liveSa = objects.uidOf("ServiceAccount", namespace, name);
    if (liveSa.isEmpty()) {
      return new Result.Invalid("invalid bearer token, serviceaccounts \"" + name + "\" not found");
    }
    if (!liveSa.get().equals(uid)) {
      return new Result.Invalid("invalid bearer token, service account UID (" + uid
          + ") does not match claim (" + liveSa.get() + ")");
    }
    Map<String, List<String>> extra = new LinkedHashMap<>();
    for (String kind : List.of("Pod", "Secret")) {
      if (k8s.get(kind.toLowerCase(java.util.Locale.ROOT)) instanceof Map<?, ?> ref) {
        String refName = String.valueOf(ref.get("name"));
        String refUid = String.valueOf(ref.get("uid"));
        Optional<String> live = objects.uidOf(kind, namespace, refName);
        String plural = kind.toLowerCase(java.util.Locale.ROOT) + "s";
        if (live.isEmpty()) {
          return new Result.Invalid("invalid bearer token, " + plural + " \"" + refName + "\" not found");
        }
        if (!live.get().equals(refUid)) {
          return new Result.Invalid("invalid bearer token, the UID in the bound object reference (" + refUid
              + ") does not match the UID of " + plural + " \"" + refName + "\" (" + live.get() + ")");
        }
        if (kind.equals("Pod")) {
          extra.put(EXTRA_POD_NAME, List.of(refName));
          extra.put(EXTRA_POD_UID, List.of(refUid));
        }
      }
    }
    if (claims.getJWTID() != null) {
      extra.put(EXTRA_CREDENTIAL_ID, List.of("JTI=" + claims.getJWTID()));
    }
    UserInfo user = new UserInfo(PREFIX + namespace + ":" + name, uid,
        List.of(GROUP, GROUP + ":" + namespace, UserInfo.AUTHENTICATED), extra);
    return new Result.Valid(user, List.copyOf(audiences));
  }
}
