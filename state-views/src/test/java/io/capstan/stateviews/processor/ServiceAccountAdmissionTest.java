package io.capstan.stateviews.processor;

import static io.capstan.stateviews.processor.ProcessorHarness.meta;
import static io.capstan.stateviews.processor.ProcessorHarness.pod;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.LocalObjectReference;
import io.capstan.api.Pod;
import io.capstan.api.ServiceAccount;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.stateviews.processor.rules.ServiceAccountAdmission;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The ServiceAccount admission of pods in the command processor (kube-apiserver's plugin of that name). */
class ServiceAccountAdmissionTest {
  private static final String MOUNT = ServiceAccountAdmission.MOUNT_PATH;

  private static ServiceAccount account(String ns, String name, Boolean automount) {
    return ServiceAccount.newBuilder().setMetadata(meta(ns, name).build()).setAutomountServiceAccountToken(automount)
        .build();
  }

  private static Pod twoContainers(String ns, String name) {
    Pod p = pod(ns, name);
    List<Container> cs = new ArrayList<>(p.getSpec().getContainers());
    cs.add(Container.newBuilder().setName("side").setImage("busybox").build());
    p.getSpec().setContainers(cs);
    p.getSpec().setInitContainers(List.of(Container.newBuilder().setName("init").setImage("busybox").build()));
    return p;
  }

  @Test
  void aPodGetsTheDefaultAccountAndTheTokenVolumeInEveryContainer() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("apps")) {
      h.accept(h.create(account("apps", "default", null)));
      Pod stored = h.accept(h.create(twoContainers("apps", "web")));
      assertEquals("default", stored.getSpec().getServiceAccountName());
      assertEquals("default", stored.getSpec().getServiceAccount(), "the deprecated field mirrors it");
      List<Volume> volumes = stored.getSpec().getVolumes();
      assertEquals(1, volumes.size());
      Volume v = volumes.get(0);
      assertTrue(v.getName().matches("kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}"), v.getName());
      var sources = v.getProjected().getSources();
      assertEquals(420, v.getProjected().getDefaultMode());
      assertEquals("token", sources.get(0).getServiceAccountToken().getPath());
      assertEquals(3607L, sources.get(0).getServiceAccountToken().getExpirationSeconds());
      assertEquals("kube-root-ca.crt", sources.get(1).getConfigMap().getName());
      assertEquals("ca.crt", sources.get(1).getConfigMap().getItems().get(0).getKey());
      assertEquals("metadata.namespace", sources.get(2).getDownwardAPI().getItems().get(0).getFieldRef().getFieldPath());
      List<Container> all = new ArrayList<>(stored.getSpec().getInitContainers());
      all.addAll(stored.getSpec().getContainers());
      assertEquals(3, all.size());
      for (Container c : all) {
        VolumeMount m = c.getVolumeMounts().get(0);
        assertEquals(v.getName(), m.getName(), c.getName());
        assertEquals(MOUNT, m.getMountPath());
        assertTrue(m.getReadOnly());
      }
    }
  }

  @Test
  void automountFalseOnThePodOrItsAccountMeansNoVolumeAndThePodsChoiceWins() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("apps")) {
      h.accept(h.create(account("apps", "quiet", false)));
      h.accept(h.create(account("apps", "default", null)));
      Pod p = pod("apps", "no-token");
      p.getSpec().setAutomountServiceAccountToken(false);
      Pod a = h.accept(h.create(p));
      assertNull(a.getSpec().getVolumes());
      assertNull(a.getSpec().getContainers().get(0).getVolumeMounts());

      Pod q = pod("apps", "quiet-pod");
      q.getSpec().setServiceAccountName("quiet");
      Pod b = h.accept(h.create(q));
      assertEquals("quiet", b.getSpec().getServiceAccount());
      assertNull(b.getSpec().getVolumes(), "the account says no");

      Pod r = pod("apps", "loud-pod");
      r.getSpec().setServiceAccountName("quiet");
      r.getSpec().setAutomountServiceAccountToken(true);
      Pod c = h.accept(h.create(r));
      assertEquals(1, c.getSpec().getVolumes().size(), "the pod's preference wins over the account's");
    }
  }

  @Test
  void aContainerWithSomethingAtTheMountPathKeepsIt() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("apps")) {
      h.accept(h.create(account("apps", "default", null)));
      Pod p = twoContainers("apps", "own-token");
      p.getSpec().setVolumes(List.of(Volume.newBuilder().setName("mine")
          .setEmptyDir(io.capstan.api.EmptyDirVolumeSource.newBuilder().build()).build()));
      p.getSpec().getContainers().get(0).setVolumeMounts(List.of(VolumeMount.newBuilder().setName("mine")
          .setMountPath(MOUNT).build()));
      Pod stored = h.accept(h.create(p));
      assertEquals("mine", stored.getSpec().getContainers().get(0).getVolumeMounts().get(0).getName());
      assertEquals(1, stored.getSpec().getContainers().get(0).getVolumeMounts().size());
      assertEquals(MOUNT, stored.getSpec().getContainers().get(1).getVolumeMounts().get(0).getMountPath());
      assertEquals(2, stored.getSpec().getVolumes().size());

      // Everything mounts its own: no token volume at all.
      Pod q = pod("apps", "all-own");
      q.getSpec().setVolumes(p.getSpec().getVolumes());
      q.getSpec().getContainers().get(0).setVolumeMounts(List.of(VolumeMount.newBuilder().setName("mine")
          .setMountPath(MOUNT).build()));
      assertEquals(1, h.<Pod>accept(h.create(q)).getSpec().getVolumes().size());
    }
  }

  @Test
  void aMissingAccountIsRefusedAsKubeApiserverWordsIt() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("apps")) {
      Pod p = pod("apps", "orphan");
      p.getSpec().setServiceAccountName("ghost");
      Reply r = h.send(h.create(p));
      assertFalse(r.getAccepted());
      assertEquals(403, r.getStatus().getCode());
      assertEquals("Forbidden", r.getStatus().getReason());
      assertEquals("pods \"orphan\" is forbidden: error looking up service account apps/ghost: serviceaccount"
          + " \"ghost\" not found", r.getStatus().getMessage());
      assertTrue(h.events().isEmpty(), "nothing stored");

      // The deprecated field alone names the account too.
      Pod q = pod("apps", "old-client");
      q.getSpec().setServiceAccount("ghost");
      assertEquals(403, h.send(h.create(q)).getStatus().getCode());

      // default is missing (no controllers here): accepted, without a token volume.
      Pod d = h.accept(h.create(pod("apps", "early")));
      assertEquals("default", d.getSpec().getServiceAccountName());
      assertNull(d.getSpec().getVolumes());
    }
  }

  @Test
  void imagePullSecretsComeFromTheAccountWhenThePodHasNone() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("apps")) {
      ServiceAccount sa = account("apps", "puller", false);
      sa.setImagePullSecrets(List.of(LocalObjectReference.newBuilder().setName("regcred").build()));
      h.accept(h.create(sa));
      Pod p = pod("apps", "pulls");
      p.getSpec().setServiceAccountName("puller");
      Pod stored = h.accept(h.create(p));
      assertEquals("regcred", stored.getSpec().getImagePullSecrets().get(0).getName());
    }
  }

  @Test
  void anUpdateWithoutTheAccountKeepsIt() {
    try (ProcessorHarness h = new ProcessorHarness().withNamespace("apps")) {
      h.accept(h.create(account("apps", "builder", false)));
      Pod p = pod("apps", "keeps");
      p.getSpec().setServiceAccountName("builder");
      Pod stored = h.accept(h.create(p));
      Pod sent = pod("apps", "keeps");
      sent.getMetadata().setResourceVersion(stored.getMetadata().getResourceVersion());
      sent.getMetadata().setLabels(java.util.Map.of("a", "b"));
      Pod after = h.accept(h.update(sent));
      assertEquals("builder", after.getSpec().getServiceAccountName());
    }
  }

  @Test
  void anAccountOnAnotherPartitionIsFoundThroughTheGlobalTable() {
    try (ProcessorHarness h = new ProcessorHarness(2)) {
      String ns = IntStream.range(0, 1000).mapToObj(i -> "ns-" + i)
          .filter(n -> ObjectPartitioner.partition("Namespace//" + n, 2) == 0).findFirst().orElseThrow();
      h.withNamespace(ns);
      String sa = IntStream.range(0, 1000).mapToObj(i -> "sa-" + i)
          .filter(n -> ObjectPartitioner.partition("ServiceAccount/" + ns + "/" + n, 2) == 1).findFirst().orElseThrow();
      String podName = IntStream.range(0, 1000).mapToObj(i -> "pod-" + i)
          .filter(n -> ObjectPartitioner.partition("Pod/" + ns + "/" + n, 2) == 0).findFirst().orElseThrow();
      Pod p = pod(ns, podName);
      p.getSpec().setServiceAccountName(sa);
      assertEquals(403, h.send(h.create(p)).getStatus().getCode(), "not there yet");
      ServiceAccount remote = account(ns, sa, null);
      remote.getMetadata().setUid("u");
      h.driver.createInputTopic(h.layout.state(Kinds.SERVICE_ACCOUNT), new StringSerializer(), new ByteArraySerializer())
          .pipeInput("ServiceAccount/" + ns + "/" + sa, LogCodec.get().encode(remote));
      Pod stored = h.accept(h.create(p));
      assertNotNull(stored.getSpec().getVolumes(), "the token volume");
    }
  }
}
