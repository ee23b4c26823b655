package io.capstan.nodeagent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ObjectMeta;
import io.capstan.api.Secret;
import io.capstan.nodeagent.runtime.RegistryCredentials;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PullSecretsTest {
  static Secret secret(String name, String type, String key, String json) {
    return Secret.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("apps").setName(name).build())
        .setType(type).setData(Map.of(key, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)))).build();
  }

  private static String auth(String userPassword) {
    return Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void dockerConfigJsonAndDockercfgGiveCredentialsByHostWithDockerHubsNamesAsOne() {
    Function<String, Optional<RegistryCredentials>> creds = PullSecrets.of(List.of(
        secret("hub", PullSecrets.DOCKER_CONFIG_JSON, ".dockerconfigjson",
            "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + auth("hubuser:p:w") + "\"},"
                + "\"127.0.0.1:5000\":{\"username\":\"local\",\"password\":\"pw\"}}}"),
        secret("old", PullSecrets.DOCKER_CFG, ".dockercfg",
            "{\"registry.example.com\":{\"auth\":\"" + auth("legacy:x") + "\"},\"127.0.0.1:5000\":{\"auth\":\""
                + auth("second:y") + "\"}}"),
        secret("other", "Opaque", "whatever", "not json")));
    assertEquals(Optional.of(new RegistryCredentials("hubuser", "p:w")), creds.apply("docker.io"));
    assertEquals(Optional.of(new RegistryCredentials("local", "pw")), creds.apply("127.0.0.1:5000"),
        "the first secret with the host wins");
    assertEquals(Optional.of(new RegistryCredentials("legacy", "x")), creds.apply("registry.example.com"));
    assertEquals(Optional.empty(), creds.apply("quay.io"));
  }

  @Test
  void aSecretThatCannotBeReadIsNamed() {
    IllegalArgumentException notJson = assertThrows(IllegalArgumentException.class, () -> PullSecrets.of(List.of(
        secret("broken", PullSecrets.DOCKER_CONFIG_JSON, ".dockerconfigjson", "{nope"))));
    assertTrue(notJson.getMessage().contains("apps/broken: .dockerconfigjson is not JSON"), notJson.getMessage());
    IllegalArgumentException badAuth = assertThrows(IllegalArgumentException.class, () -> PullSecrets.of(List.of(
        secret("b64", PullSecrets.DOCKER_CONFIG_JSON, ".dockerconfigjson", "{\"auths\":{\"r.io\":{\"auth\":\"%%%\"}}}"))));
    assertTrue(badAuth.getMessage().contains("apps/b64: the auth of r.io is not base64"), badAuth.getMessage());
    IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class, () -> PullSecrets.of(List.of(
        secret("empty", PullSecrets.DOCKER_CONFIG_JSON, "other", "{}"))));
    assertTrue(noKey.getMessage().contains("apps/empty has no .dockerconfigjson key"), noKey.getMessage());
  }
}
