package io.capstan.stateviews.processor.rules;

import io.capstan.api.ConfigMapProjection;
import io.capstan.api.Container;
import io.capstan.api.DownwardAPIProjection;
import io.capstan.api.DownwardAPIVolumeFile;
import io.capstan.api.KeyToPath;
import io.capstan.api.LocalObjectReference;
import io.capstan.api.ObjectFieldSelector;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ProjectedVolumeSource;
import io.capstan.api.ServiceAccount;
import io.capstan.api.ServiceAccountTokenProjection;
import io.capstan.api.Volume;
import io.capstan.api.VolumeMount;
import io.capstan.api.VolumeProjection;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.kinds.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * kube-apiserver's ServiceAccount admission plugin, on pod create: {@code spec.serviceAccountName}
 * defaults to {@code default} (and the deprecated {@code serviceAccount} mirrors it); a pod naming
 * a ServiceAccount that does not exist is refused (403, {@code error looking up service account
 * NS/NAME: serviceaccount "NAME" not found}); unless {@code automountServiceAccountToken: false} on
 * the pod (which wins) or its ServiceAccount, the pod gets the projected volume
 * {@code kube-api-access-xxxxx} (a bound token, the cluster's CA bundle {@code kube-root-ca.crt},
 * the namespace) and each of its containers and init containers a read-only mount of it at
 * {@value #MOUNT_PATH}, unless something is mounted there already. A pod without
 * imagePullSecrets gets its ServiceAccount's.
 *
 * <p>One deliberate difference: kube-apiserver retries the lookup of {@code default} for about a
 * second (the ServiceAccounts controller makes it just after the namespace) and then refuses. The
 * single writer cannot wait, so a pod of a namespace whose {@code default} ServiceAccount does
 * not exist (yet, or at all when no controllers run) is accepted without a token volume: there is
 * no ServiceAccount a token could be issued for.
 */
public final class ServiceAccountAdmission {
  public static final String DEFAULT = "default";
  /** The volume's name prefix, as kube's {@code ServiceAccountVolumeName}. */
  public static final String VOLUME_PREFIX = "kube-api-access-";
  /** Where in every container the token, {@code ca.crt} and {@code namespace} are. */
  public static final String MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
  /** The token's lifetime as kube's admission asks it (an hour and seven seconds: "warn only" tokens). */
  public static final long TOKEN_EXPIRATION_SECONDS = 3607;
  /** The ConfigMap the root CA publisher keeps in every namespace, and its key. */
  public static final String ROOT_CA_CONFIG_MAP = "kube-root-ca.crt";
  public static final String ROOT_CA_KEY = "ca.crt";
  /** 0644, set explicitly as kube does (kubernetes#104464). */
  public static final int DEFAULT_MODE = 0644;
  /** The alphabet of kube's generated name suffixes (no vowels, no look-alikes). */
  private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private ServiceAccountAdmission() {}

  /** Admits a pod being created: mutates it as above, or says why it is refused. */
  public static Optional<ErrorStatus> admit(Kind kind, String name, Pod pod, ServiceAccountLookup accounts) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return Optional.empty(); // validation names the missing spec
    }
    String account = ObjectFields.isEmpty(spec.getServiceAccountName()) ? spec.getServiceAccount()
        : spec.getServiceAccountName();
    if (ObjectFields.isEmpty(account)) {
      account = DEFAULT;
    }
    spec.setServiceAccountName(account);
    spec.setServiceAccount(account);
    String namespace = pod.getMetadata().getNamespace();
    Optional<ServiceAccount> sa = accounts.find(namespace, account);
    if (sa.isEmpty()) {
      if (DEFAULT.equals(account)) {
        return Optional.empty();
      }
      return Optional.of(StatusErrors.forbidden(kind, name, "error looking up service account " + namespace + "/"
          + account + ": serviceaccount \"" + account + "\" not found"));
    }
    if (shouldAutomount(sa.get(), pod)) {
      mountToken(spec);
    }
    if ((spec.getImagePullSecrets() == null || spec.getImagePullSecrets().isEmpty())
        && sa.get().getImagePullSecrets() != null && !sa.get().getImagePullSecrets().isEmpty()) {
      List<LocalObjectReference> copied = new ArrayList<>();
      for (LocalObjectReference r : sa.get().getImagePullSecrets()) {
        copied.add(LocalObjectReference.newBuilder(r).build());
      }
      spec.setImagePullSecrets(copied);
    }
    return Optional.empty();
  }

  /** The pod's preference wins, then the ServiceAccount's; true otherwise. */
  static boolean shouldAutomount(ServiceAccount sa, Pod pod) {
    if (pod.getSpec().getAutomountServiceAccountToken() != null) {
      return pod.getSpec().getAutomountServiceAccountToken();
    }
    if (sa.getAutomountServiceAccountToken() != null) {
      return sa.getAutomountServiceAccountToken();
    }
    return true;
  }

  private static void mountToken(PodSpec spec) {
    List<Volume> volumes = spec.getVolumes() == null ? new ArrayList<>() : new ArrayList<>(spec.getVolumes());
    String volumeName = null;
    for (Volume v : volumes) {
      if (v.getName().startsWith(VOLUME_PREFIX)) {
        volumeName = v.getName(); // a pod made from another's manifest keeps its volume
        break;
      }
    }
    boolean hasVolume = volumeName != null;
    if (volumeName == null) {
      volumeName = VOLUME_PREFIX + randomSuffix();
    }
    boolean needed = addMount(spec.getInitContainers(), volumeName);
    needed |= addMount(spec.getContainers(), volumeName);
    if (!hasVolume && needed) {
      volumes.add(Volume.newBuilder().setName(volumeName).setProjected(tokenVolumeSource()).build());
      spec.setVolumes(volumes);
    }
  }

  /** Mounts the volume into each container that has nothing at the mount path; whether any got it. */
  private static boolean addMount(List<Container> containers, String volumeName) {
    boolean added = false;
    if (containers == null) {
      return false;
    }
    for (Container c : containers) {
      List<VolumeMount> mounts = c.getVolumeMounts() == null ? new ArrayList<>() : new ArrayList<>(c.getVolumeMounts());
      if (mounts.stream().anyMatch(m -> MOUNT_PATH.equals(m.getMountPath()))) {
        continue;
      }
      mounts.add(VolumeMount.newBuilder().setName(volumeName).setReadOnly(true).setMountPath(MOUNT_PATH).build());
      c.setVolumeMounts(mounts);
      added = true;
    }
    return added;
  }

  /** kube's {@code TokenVolumeSource()}: the token, the CA bundle and the namespace. */
  public static ProjectedVolumeSource tokenVolumeSource() {
    return ProjectedVolumeSource.newBuilder().setDefaultMode(DEFAULT_MODE).setSources(List.of(
        VolumeProjection.newBuilder().setServiceAccountToken(ServiceAccountTokenProjection.newBuilder()
            .setPath("token").setExpirationSeconds(TOKEN_EXPIRATION_SECONDS).build()).build(),
        VolumeProjection.newBuilder().setConfigMap(ConfigMapProjection.newBuilder().setName(ROOT_CA_CONFIG_MAP)
            .setItems(List.of(KeyToPath.newBuilder().setKey(ROOT_CA_KEY).setPath(ROOT_CA_KEY).build())).build())
            .build(),
        VolumeProjection.newBuilder().setDownwardAPI(DownwardAPIProjection.newBuilder().setItems(List.of(
            DownwardAPIVolumeFile.newBuilder().setPath("namespace").setFieldRef(ObjectFieldSelector.newBuilder()
                .setApiVersion("v1").setFieldPath("metadata.namespace").build()).build())).build()).build()))
        .build();
  }

  private static String randomSuffix() {
    StringBuilder b = new StringBuilder(5);
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int i = 0; i < 5; i++) {
      b.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }
}
