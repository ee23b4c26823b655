package io.capstan.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import io.capstan.stateviews.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceAccountTokensTest {
  @TempDir
  Path dir;

  /** Live objects by kind/namespace/name, changed by the tests. */
  final Map<String, String> live = new HashMap<>(Map.of("ServiceAccount/ns/robot", "sa-uid-1", "Pod/ns/web", "pod-uid-1"));
  final ManualClock clock = new ManualClock(Instant.parse("2026-12-05T10:00:00Z"));

  ServiceAccountTokens tokens() throws Exception {
    return new ServiceAccountTokens(ServiceAccountTokens.ensureSigningKey(dir.resolve("pki")),
        (kind, ns, name) -> Optional.ofNullable(live.get(kind + "/" + ns + "/" + name)), clock);
  }

  @Test
  void aTokenNamesTheServiceAccountAndItsBoundPod() throws Exception {
    ServiceAccountTokens tokens = tokens();
    var issued = tokens.issue("ns", "robot", "sa-uid-1", List.of(), Duration.ofHours(1),
        new ServiceAccountTokens.BoundObject("Pod", "web", "pod-uid-1"));
    assertEquals(clock.instant().plus(Duration.ofHours(1)), issued.expires());
    var claims = SignedJWT.parse(issued.token()).getJWTClaimsSet();
    assertEquals(ServiceAccountTokens.ISSUER, claims.getIssuer());
    assertEquals(List.of(ServiceAccountTokens.ISSUER), claims.getAudience());
    assertEquals("system:serviceaccount:ns:robot", claims.getSubject());
    assertEquals(Map.of("namespace", "ns", "serviceaccount", Map.of("name", "robot", "uid", "sa-uid-1"),
        "pod", Map.of("name", "web", "uid", "pod-uid-1")), claims.getJSONObjectClaim("kubernetes.io"));
    assertEquals(clock.instant(), claims.getNotBeforeTime().toInstant());
    assertEquals(clock.instant(), claims.getIssueTime().toInstant());

    UserInfo user = tokens.authenticateToken(issued.token()).orElseThrow();
    assertEquals("system:serviceaccount:ns:robot", user.name());
    assertEquals("sa-uid-1", user.uid());
    assertEquals(List.of("system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"), user.groups());
    assertEquals(List.of("web"), user.extra().get(ServiceAccountTokens.EXTRA_POD_NAME));
    assertEquals(List.of("pod-uid-1"), user.extra().get(ServiceAccountTokens.EXTRA_POD_UID));
  }

  @Test
  void theSigningKeyIsMadeOnceOwnerReadableAndReused() throws Exception {
    var first = ServiceAccountTokens.ensureSigningKey(dir.resolve("pki"));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("pki/sa.key"))));
    var again = ServiceAccountTokens.ensureSigningKey(dir.resolve("pki"));
    assertEquals(first.getPublic(), again.getPublic());
    assertEquals(first.getPrivate(), again.getPrivate());
    // a token of the first instance verifies with a second one on the same key (another gateway, a restart)
    String token = tokens().issue("ns", "robot", "sa-uid-1", List.of(), Duration.ofHours(1), null).token();
    assertTrue(tokens().authenticateToken(token).isPresent());
  }

  @Test
  void expiredTamperedWrongAudienceAndForeignTokensAreRefused() throws Exception {
    ServiceAccountTokens tokens = tokens();
    String token = tokens.issue("ns", "robot", "sa-uid-1", List.of(), Duration.ofMinutes(10), null).token();
    assertTrue(tokens.authenticateToken(token).isPresent());

    // tampered: the payload names another ServiceAccount, the signature stays
    String[] parts = token.split("\\.");
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
        .replace("robot", "admin");
    live.put("ServiceAccount/ns/admin", "sa-uid-1");
    String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    assertEquals(new ServiceAccountTokens.Result.Invalid("invalid bearer token, the signature does not verify"),
        tokens.check(tampered, List.of()));
    assertTrue(tokens.authenticateToken(tampered).isEmpty());

    // signed by another key (another cluster)
    ServiceAccountTokens other = new ServiceAccountTokens(ServiceAccountTokens.ensureSigningKey(dir.resolve("other")),
        (kind, ns, name) -> Optional.ofNullable(live.get(kind + "/" + ns + "/" + name)), clock);
    assertTrue(tokens.authenticateToken(other.issue("ns", "robot", "sa-uid-1", List.of(), Duration.ofHours(1), null)
        .token()).isEmpty());

    // wrong audience
    String vault = tokens.issue("ns", "robot", "sa-uid-1", List.of("vault"), Duration.ofHours(1), null).token();
    assertTrue(tokens.authenticateToken(vault).isEmpty(), "not for the API");
    assertInstanceOf(ServiceAccountTokens.Result.Invalid.class, tokens.check(vault, List.of("other")));
    var forVault = assertInstanceOf(ServiceAccountTokens.Result.Valid.class, tokens.check(vault, List.of("vault")));
    assertEquals(List.of("vault"), forVault.audiences());

    // not a JWT, or another issuer's: not ours, another authenticator may know it
    assertInstanceOf(ServiceAccountTokens.Result.NotOurs.class, tokens.check("0123456789abcdef", List.of()));

    // expired: exactly at exp and after
    clock.advance(Duration.ofMinutes(10));
    assertEquals(new ServiceAccountTokens.Result.Invalid("invalid bearer token, service account token has expired"),
        tokens.check(token, List.of()));
    clock.advance(Duration.ofHours(-1));
    assertInstanceOf(ServiceAccountTokens.Result.Invalid.class, tokens.check(token, List.of()), "before nbf");
  }

  @Test
  void aTokenStopsWorkingWhenItsServiceAccountOrPodIsGoneOrReplaced() throws Exception {
    ServiceAccountTokens tokens = tokens();
    String bound = tokens.issue("ns", "robot", "sa-uid-1", List.of(), Duration.ofHours(1),
        new ServiceAccountTokens.BoundObject("Pod", "web", "pod-uid-1")).token();
    String plain = tokens.issue("ns", "robot", "sa-uid-1", List.of(), Duration.ofHours(1), null).token();
    assertTrue(tokens.authenticateToken(bound).isPresent());

    live.put("Pod/ns/web", "pod-uid-2"); // deleted and made again: another pod
    assertEquals(new ServiceAccountTokens.Result.Invalid("invalid bearer token, the UID in the bound object reference "
        + "(pod-uid-1) does not match the UID of pods \"web\" (pod-uid-2)"), tokens.check(bound, List.of()));
    live.remove("Pod/ns/web");
    assertEquals(new ServiceAccountTokens.Result.Invalid("invalid bearer token, pods \"web\" not found"),
        tokens.check(bound, List.of()));
    assertTrue(tokens.authenticateToken(plain).isPresent(), "an unbound token does not depend on the pod");

    live.put("ServiceAccount/ns/robot", "sa-uid-2");
    assertTrue(tokens.authenticateToken(plain).isEmpty(), "ServiceAccount replaced");
    live.remove("ServiceAccount/ns/robot");
    assertEquals(new ServiceAccountTokens.Result.Invalid("invalid bearer token, serviceaccounts \"robot\" not found"),
        tokens.check(plain, List.of()));
    assertNotEquals(bound, plain);
  }

  @Test
  void aTokenBoundToASecretLastsAsLongAsTheSecret() throws Exception {
    live.put("Secret/ns/creds", "secret-uid-1");
    ServiceAccountTokens tokens = tokens();
    String token = tokens.issue("ns", "robot", "sa-uid-1", List.of(), Duration.ofHours(1),
        new ServiceAccountTokens.BoundObject("Secret", "creds", "secret-uid-1")).token();
    assertEquals(Map.of("name", "creds", "uid", "secret-uid-1"),
        SignedJWT.parse(token).getJWTClaimsSet().getJSONObjectClaim("kubernetes.io").get("secret"));
    UserInfo user = tokens.authenticateToken(token).orElseThrow();
    assertTrue(!user.extra().containsKey(ServiceAccountTokens.EXTRA_POD_NAME), "bound to no pod");
    live.remove("Secret/ns/creds");
    assertEquals(new ServiceAccountTokens.Result.Invalid("invalid bearer token, secrets \"creds\" not found"),
        tokens.check(token, List.of()));
  }
}
