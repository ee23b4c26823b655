package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ConfigMapProjection;
import io.capstan.api.Container;
import io.capstan.api.DownwardAPIProjection;
import io.capstan.api.DownwardAPIVolumeFile;
import io.capstan.api.DownwardAPIVolumeSource;
import io.capstan.api.KeyToPath;
import io.capstan.api.ObjectFieldSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ProjectedVolumeSource;
import io.capstan.api.ResourceFieldSelector;
import io.capstan.api.ResourceRequirements;
import io.capstan.api.Secret;
import io.capstan.api.SecretProjection;
import io.capstan.api.SecretVolumeSource;
import io.capstan.api.ServiceAccountTokenProjection;
import io.capstan.api.Volume;
import io.capstan.api.VolumeProjection;
import io.capstan.nodeagent.volume.FileProjection;
import io.capstan.nodeagent.volume.ServiceAccountTokenSource;
import io.capstan.nodeagent.volume.TokenCache;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files of secret, downwardAPI and projected volumes, and their updates on a running pod. */
class VolumeFilesTest {
  @TempDir
  Path podDir;

  private final Map<String, ConfigMap> configMaps = new HashMap<>();
  private final Map<String, Secret> secrets = new HashMap<>();
  private final List<String> tokenRequests = new ArrayList<>();
  private final ConfigSource config = new ConfigSource() {
    @Override
    public Optional<ConfigMap> configMap(String namespace, String name) {
      return Optional.ofNullable(configMaps.get(namespace + "/" + name));
    }

    @Override
    public Optional<Secret> secret(String namespace, String name) {
      return Optional.ofNullable(secrets.get(namespace + "/" + name));
    }
  };
  private final TokenCache tokens = new TokenCache((pod, audience, seconds) -> {
    tokenRequests.add(pod.getMetadata().getName() + "/" + pod.getSpec().getServiceAccountName() + "/" + audience + "/"
        + seconds);
    return new ServiceAccountTokenSource.Token("jwt-" + tokenRequests.size(), Instant.now(),
        Instant.now().plusSeconds(seconds));
  }, Clock.systemUTC());

  private static Pod pod(Volume... volumes) {
    Container c = Container.newBuilder().setName("app").setImage("busybox")
        .setResources(ResourceRequirements.newBuilder().setLimits(Map.of("memory", "64Mi")).build()).build();
    return Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("web").setUid("u-1")
            .setLabels(Map.of("tier", "front", "app", "we\"b")).setAnnotations(Map.of("note", "two\nlines")).build())
        .setSpec(PodSpec.newBuilder().setServiceAccountName("builder").setContainers(List.of(c))
            .setVolumes(List.of(volumes)).build())
        .build();
  }

  private static Secret secret(String name, Map<String, String> data) {
    Map<String, ByteBuffer> bytes = new HashMap<>();
    data.forEach((k, v) -> bytes.put(k, ByteBuffer.wrap(v.getBytes(StandardCharsets.UTF_8))));
    return Secret.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name).build())
        .setData(bytes).build();
  }

  private static String text(FileProjection f) {
    return new String(f.data(), StandardCharsets.UTF_8);
  }

  @Test
  void aSecretVolumeHasItsItemsWithTheirModes() throws Exception {
    secrets.put("ns/creds", secret("creds", Map.of("user", "admin", "password", "s3cret")));
    Volume v = Volume.newBuilder().setName("creds").setSecret(SecretVolumeSource.newBuilder().setSecretName("creds")
        .setDefaultMode(0400).setItems(List.of(KeyToPath.newBuilder().setKey("password").setPath("db/pass").build(),
            KeyToPath.newBuilder().setKey("user").setPath("user").setMode(0440).build())).build()).build();
    Map<String, FileProjection> files = VolumeFiles.of(pod(v), v, config, tokens);
    assertEquals(List.of("db/pass", "user"), new ArrayList<>(files.keySet()));
    assertEquals("s3cret", text(files.get("db/pass")));
    assertEquals(0400, files.get("db/pass").mode());
    assertEquals(0440, files.get("user").mode());

    Volume all = Volume.newBuilder().setName("all").setSecret(SecretVolumeSource.newBuilder().setSecretName("creds")
        .build()).build();
    assertEquals(0644, VolumeFiles.of(pod(all), all, config, tokens).get("user").mode(), "0644 unless told");
  }

  @Test
  void aMissingSecretWaitsUnlessOptionalAndAMissingKeyNamesIt() throws Exception {
    Volume v = Volume.newBuilder().setName("later").setSecret(SecretVolumeSource.newBuilder().setSecretName("nope")
        .build()).build();
    PodVolumes.MountError e = assertThrows(PodVolumes.MountError.class, () -> VolumeFiles.of(pod(v), v, config, tokens));
    assertEquals("MountVolume.SetUp failed for volume \"later\" : secret \"nope\" not found", e.getMessage());
    Volume optional = Volume.newBuilder().setName("later").setSecret(SecretVolumeSource.newBuilder().setSecretName("nope")
        .setOptional(true).build()).build();
    assertTrue(VolumeFiles.of(pod(optional), optional, config, tokens).isEmpty());

    secrets.put("ns/creds", secret("creds", Map.of("user", "admin")));
    Volume missingKey = Volume.newBuilder().setName("k").setSecret(SecretVolumeSource.newBuilder().setSecretName("creds")
        .setItems(List.of(KeyToPath.newBuilder().setKey("password").setPath("p").build())).build()).build();
    e = assertThrows(PodVolumes.MountError.class, () -> VolumeFiles.of(pod(missingKey), missingKey, config, tokens));
    assertTrue(e.getMessage().endsWith("configured key password not found"), e.getMessage());
  }

  @Test
  void downwardApiFilesAsKubeletFormatsThem() throws Exception {
    Volume v = Volume.newBuilder().setName("podinfo").setDownwardAPI(DownwardAPIVolumeSource.newBuilder().setItems(List.of(
        DownwardAPIVolumeFile.newBuilder().setPath("labels").setFieldRef(field("metadata.labels")).build(),
        DownwardAPIVolumeFile.newBuilder().setPath("annotations").setFieldRef(field("metadata.annotations")).build(),
        DownwardAPIVolumeFile.newBuilder().setPath("name").setFieldRef(field("metadata.name")).build(),
        DownwardAPIVolumeFile.newBuilder().setPath("uid").setFieldRef(field("metadata.uid")).setMode(0600).build(),
        DownwardAPIVolumeFile.newBuilder().setPath("tier").setFieldRef(field("metadata.labels['tier']")).build(),
        DownwardAPIVolumeFile.newBuilder().setPath("mem").setResourceFieldRef(ResourceFieldSelector.newBuilder()
            .setContainerName("app").setResource("limits.memory").setDivisor("1Mi").build()).build())).build())
        .build();
    Map<String, FileProjection> f = VolumeFiles.of(pod(v), v, config, tokens);
    assertEquals("app=\"we\\\"b\"\ntier=\"front\"", text(f.get("labels")));
    assertEquals("note=\"two\\nlines\"", text(f.get("annotations")));
    assertEquals("web", text(f.get("name")));
    assertEquals("u-1", text(f.get("uid")));
    assertEquals(0600, f.get("uid").mode());
    assertEquals("front", text(f.get("tier")));
    assertEquals("64", text(f.get("mem")));

    Volume bad = Volume.newBuilder().setName("bad").setDownwardAPI(DownwardAPIVolumeSource.newBuilder().setItems(List.of(
        DownwardAPIVolumeFile.newBuilder().setPath("ip").setFieldRef(field("status.podIP")).build())).build()).build();
    PodVolumes.MountError e = assertThrows(PodVolumes.MountError.class, () -> VolumeFiles.of(pod(bad), bad, config, tokens));
    assertTrue(e.getMessage().contains("unsupported fieldRef fieldPath \"status.podIP\""), e.getMessage());
  }

  private static ObjectFieldSelector field(String path) {
    return ObjectFieldSelector.newBuilder().setFieldPath(path).build();
  }

  @Test
  void aProjectedVolumeCombinesItsSourcesAndFollowsTheirChanges() throws Exception {
    configMaps.put("ns/kube-root-ca.crt", ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns")
        .setName("kube-root-ca.crt").build()).setData(Map.of("ca.crt", "CA-1")).build());
    secrets.put("ns/extra", secret("extra", Map.of("k", "v")));
    Volume v = Volume.newBuilder().setName("kube-api-access-abcde").setProjected(ProjectedVolumeSource.newBuilder()
        .setDefaultMode(0644).setSources(List.of(
            VolumeProjection.newBuilder().setServiceAccountToken(ServiceAccountTokenProjection.newBuilder()
                .setPath("token").setExpirationSeconds(3607L).build()).build(),
            VolumeProjection.newBuilder().setConfigMap(ConfigMapProjection.newBuilder().setName("kube-root-ca.crt")
                .setItems(List.of(KeyToPath.newBuilder().setKey("ca.crt").setPath("ca.crt").build())).build()).build(),
            VolumeProjection.newBuilder().setSecret(SecretProjection.newBuilder().setName("extra").build()).build(),
            VolumeProjection.newBuilder().setDownwardAPI(DownwardAPIProjection.newBuilder().setItems(List.of(
                DownwardAPIVolumeFile.newBuilder().setPath("namespace").setFieldRef(field("metadata.namespace"))
                    .build())).build()).build())).build()).build();
    Pod pod = pod(v);
    PodVolumes.Written written = new PodVolumes.Written();
    Map<String, Path> where = PodVolumes.prepare(pod, podDir, config, tokens, written, Clock.systemUTC());
    Path dir = where.get("kube-api-access-abcde");
    assertEquals("jwt-1", Files.readString(dir.resolve("token")));
    assertEquals("CA-1", Files.readString(dir.resolve("ca.crt")));
    assertEquals("v", Files.readString(dir.resolve("k")));
    assertEquals("ns", Files.readString(dir.resolve("namespace")));
    assertEquals(List.of("web/builder/null/3607"), tokenRequests);
    assertTrue(Files.isSymbolicLink(dir.resolve("..data")));

    // Nothing changed: nothing written, no new token.
    Path before = Files.readSymbolicLink(dir.resolve("..data"));
    assertTrue(PodVolumes.refresh(pod, podDir, config, tokens, written, Clock.systemUTC()).isEmpty());
    assertEquals(before, Files.readSymbolicLink(dir.resolve("..data")));
    assertEquals(1, tokenRequests.size());

    // The CA bundle changes: the pod's file follows.
    configMaps.put("ns/kube-root-ca.crt", ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns")
        .setName("kube-root-ca.crt").build()).setData(Map.of("ca.crt", "CA-2")).build());
    assertTrue(PodVolumes.refresh(pod, podDir, config, tokens, written, Clock.systemUTC()).isEmpty());
    assertEquals("CA-2", Files.readString(dir.resolve("ca.crt")));

    // The ConfigMap is gone: the files stay as they were and the error is reported.
    configMaps.clear();
    List<String> errors = PodVolumes.refresh(pod, podDir, config, tokens, written, Clock.systemUTC());
    assertEquals(List.of("MountVolume.SetUp failed for volume \"kube-api-access-abcde\" : configmap"
        + " \"kube-root-ca.crt\" not found"), errors);
    assertEquals("CA-2", Files.readString(dir.resolve("ca.crt")));
  }

  @Test
  void withoutApiAccessATokenProjectionSaysSo() {
    Volume v = Volume.newBuilder().setName("t").setProjected(ProjectedVolumeSource.newBuilder().setSources(List.of(
        VolumeProjection.newBuilder().setServiceAccountToken(ServiceAccountTokenProjection.newBuilder()
            .setPath("token").build()).build())).build()).build();
    TokenCache none = new TokenCache(ServiceAccountTokenSource.NONE, Clock.systemUTC());
    PodVolumes.MountError e = assertThrows(PodVolumes.MountError.class, () -> VolumeFiles.of(pod(v), v, config, none));
    assertTrue(e.getMessage().startsWith("MountVolume.SetUp failed for volume \"t\" : failed to fetch token: this node"
        + " agent has no API access"), e.getMessage());
  }
}
