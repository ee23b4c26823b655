package io.capstan.stateviews.bootstrap;

import io.capstan.api.ObjectMeta;
import io.capstan.api.StorageClass;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.validation.StorageRules;
import io.capstan.stateviews.processor.rules.StorageAdmission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the built-in StorageClass {@value #NAME}, the default class (as k3s ships rancher's
 * local-path-provisioner): claims that name no class get it, their volumes are directories on the
 * node their first pod is scheduled to ({@code WaitForFirstConsumer}), made by that node's agent
 * ({@value #PROVISIONER}) and removed when the claim goes ({@code Delete}). Idempotent: a class of
 * that name that exists already, whatever it says, is kept.
 */
public final class DefaultStorageClass {
  private static final Logger log = LoggerFactory.getLogger(DefaultStorageClass.class);
  public static final String NAME = "local-path";
  public static final String PROVISIONER = "capstan.io/local-path";

  private DefaultStorageClass() {}

  /** The class as the cluster starts with it. */
  public static StorageClass localPath() {
    return StorageClass.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(NAME)
            .setAnnotations(Map.of(StorageAdmission.IS_DEFAULT_CLASS, "true")).build())
        .setProvisioner(PROVISIONER)
        .setReclaimPolicy("Delete")
        .setVolumeBindingMode(StorageRules.WAIT_FOR_FIRST_CONSUMER)
        .setAllowVolumeExpansion(false)
        .build();
  }

  public static void ensure(CommandClient client, Duration timeout) {
    if (IdempotentCreates.createAll(client, "storage class", List.of(NAME), List.of(localPath()), timeout) > 0) {
      log.info("created the default storage class {} (provisioner {})", NAME, PROVISIONER);
    }
  }
}
