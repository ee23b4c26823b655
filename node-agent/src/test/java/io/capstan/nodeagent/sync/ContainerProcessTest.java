package io.capstan.nodeagent.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.ConfigMapKeySelector;
import io.capstan.api.Container;
import io.capstan.api.EnvVar;
import io.capstan.api.EnvVarSource;
import io.capstan.api.ObjectFieldSelector;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceFieldSelector;
import io.capstan.api.ResourceRequirements;
import io.capstan.api.Secret;
import io.capstan.nodeagent.runtime.ImageInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContainerProcessTest {
  static final PodIps IPS = new PodIps("10.0.0.1", "10.244.0.7");
  static final ImageInfo IMAGE = new ImageInfo(List.of("docker.io/library/app:1"), "sha256:" + "0".repeat(64),
      Path.of("/x"), List.of("/entry"), List.of("--default"), List.of("PATH=/bin", "MODE=image"), "/srv", 0);

  static Container container(List<String> command, List<String> args) {
    return Container.newBuilder().setName("c").setImage("app:1").setCommand(command).setArgs(args).build();
  }

  @Test
  void commandAndArgsCombineWithTheImageAsKubernetesDocuments() {
    Map<String, String> env = Map.of();
    assertEquals(List.of("/entry", "--default"), ContainerProcess.args(container(null, null), IMAGE, env));
    assertEquals(List.of("/entry", "x"), ContainerProcess.args(container(null, List.of("x")), IMAGE, env));
    assertEquals(List.of("/bin/sh"), ContainerProcess.args(container(List.of("/bin/sh"), null), IMAGE, env));
    assertEquals(List.of("/bin/sh", "-c", "y"), ContainerProcess.args(container(List.of("/bin/sh"), List.of("-c", "y")), IMAGE, env));
  }

  @Test
  void variablesExpandAndEscape() {
    Map<String, String> env = Map.of("A", "1");
    assertEquals("1-$(B)-$(A)", ContainerProcess.expand("$(A)-$(B)-$$(A)", env));
    assertEquals("echo $HOME", ContainerProcess.expand("echo $HOME", env));
  }

  @Test
  void environmentComesFromImageEnvFromAndValueFrom() throws Exception {
    Pod pod = Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("p").setUid("u-1")
            .setLabels(Map.of("app", "web")).build())
        .setSpec(PodSpec.newBuilder().setNodeName("n1").setContainers(List.of()).build()).build();
    Container c = container(List.of("x"), null);
    c.setResources(ResourceRequirements.newBuilder().setLimits(Map.of("memory", "64Mi", "cpu", "250m")).build());
    c.setEnv(List.of(
        EnvVar.newBuilder().setName("MODE").setValue("spec").build(),
        EnvVar.newBuilder().setName("REF").setValue("mode=$(MODE)").build(),
        EnvVar.newBuilder().setName("POD").setValueFrom(EnvVarSource.newBuilder()
            .setFieldRef(ObjectFieldSelector.newBuilder().setFieldPath("metadata.name").build()).build()).build(),
        EnvVar.newBuilder().setName("APP").setValueFrom(EnvVarSource.newBuilder()
            .setFieldRef(ObjectFieldSelector.newBuilder().setFieldPath("metadata.labels['app']").build()).build()).build(),
        EnvVar.newBuilder().setName("MEM").setValueFrom(EnvVarSource.newBuilder()
            .setResourceFieldRef(ResourceFieldSelector.newBuilder().setResource("limits.memory").setDivisor("1Mi").build())
            .build()).build(),
        EnvVar.newBuilder().setName("CPU").setValueFrom(EnvVarSource.newBuilder()
            .setResourceFieldRef(ResourceFieldSelector.newBuilder().setResource("limits.cpu").build()).build()).build(),
        EnvVar.newBuilder().setName("COLOR").setValueFrom(EnvVarSource.newBuilder()
            .setConfigMapKeyRef(ConfigMapKeySelector.newBuilder().setName("cfg").setKey("color").build()).build()).build(),
        EnvVar.newBuilder().setName("MY_POD_IP").setValueFrom(EnvVarSource.newBuilder()
            .setFieldRef(ObjectFieldSelector.newBuilder().setFieldPath("status.podIP").build()).build()).build(),
        EnvVar.newBuilder().setName("MY_HOST_IP").setValueFrom(EnvVarSource.newBuilder()
            .setFieldRef(ObjectFieldSelector.newBuilder().setFieldPath("status.hostIP").build()).build()).build()));
    ConfigSource cfg = new ConfigSource() {
      @Override
      public Optional<ConfigMap> configMap(String namespace, String name) {
        return name.equals("cfg") && namespace.equals("ns")
            ? Optional.of(ConfigMap.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("cfg").build())
                .setData(Map.of("color", "blue")).build())
            : Optional.empty();
      }

      @Override
      public Optional<Secret> secret(String namespace, String name) {
        return Optional.empty();
      }
    };
    Map<String, String> env = ContainerProcess.env(pod, c, IMAGE, cfg, IPS);
    assertEquals("/bin", env.get("PATH"));
    assertEquals("spec", env.get("MODE"));
    assertEquals("mode=spec", env.get("REF"));
    assertEquals("p", env.get("POD"));
    assertEquals("web", env.get("APP"));
    assertEquals("64", env.get("MEM"));
    assertEquals("1", env.get("CPU"), "the downward API rounds 250m up to 1 core");
    assertEquals("blue", env.get("COLOR"));
    assertEquals("10.244.0.7", env.get("MY_POD_IP"));
    assertEquals("10.0.0.1", env.get("MY_HOST_IP"));

    c.setEnv(List.of(EnvVar.newBuilder().setName("X").setValueFrom(EnvVarSource.newBuilder()
        .setConfigMapKeyRef(ConfigMapKeySelector.newBuilder().setName("missing").setKey("k").build()).build()).build()));
    ConfigError e = assertThrows(ConfigError.class, () -> ContainerProcess.env(pod, c, IMAGE, cfg, IPS));
    assertEquals("configmap \"missing\" not found", e.getMessage());
    c.getEnv().get(0).getValueFrom().getConfigMapKeyRef().setOptional(true);
    assertTrue(!ContainerProcess.env(pod, c, IMAGE, cfg, IPS).containsKey("X"), "an optional missing key sets nothing");
  }
}
