package io.capstan.stateviews.processor.quota;

import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.QuotaStep;
import io.capstan.log.QuotaStepOp;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.quota.ResourceLists;
import io.capstan.logschema.resource.Quantity;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Builds the ledger commands addressed to a ResourceQuota's key (its single writer). They travel
 * as {@code UPDATE_STATUS} of the quota, since they change only its status, with a
 * {@link QuotaStep} saying what to do; they never get a reply unless they carry a waiting client.
 */
public final class QuotaCommands {
  /** The actor of the processor's own follow-up commands. */
  public static final String PROCESSOR_ACTOR = "system:capstan:quota-admission";

  private QuotaCommands() {}

  /** Set an object's usage in the quota's ledger, unchecked (a recount, or a pod that finished). */
  public static Command record(String namespace, String quota, String objectKind, String objectName, String uid,
      Map<String, Quantity> usage, String actor) {
    return toQuota(namespace, quota, actor, step(QuotaStepOp.RECORD, objectKind, objectName, uid, usage));
  }

  /** Drop an object's entry from the quota's ledger if it has this uid (any uid when empty). */
  public static Command release(String namespace, String quota, String objectKind, String objectName, String uid,
      String actor) {
    return toQuota(namespace, quota, actor, step(QuotaStepOp.RELEASE, objectKind, objectName, uid, Map.of()));
  }

  /**
   * Check the ledger entries of objects not in {@code liveKeys} (charged more than
   * {@code graceMicros} ago) at their objects' own partitions, which release those that are gone.
   */
  public static Command prune(String namespace, String quota, Collection<String> liveKeys, long graceMicros,
      String actor) {
    QuotaStep s = step(QuotaStepOp.PRUNE, Kinds.RESOURCE_QUOTA.kind(), quota, "", Map.of());
    s.setLive(new ArrayList<>(liveKeys));
    s.setGraceMicros(graceMicros);
    return toQuota(namespace, quota, actor, s);
  }

  /** The key a step for this quota is sent under. */
  public static String quotaKey(String namespace, String quota) {
    return new ObjectKey(Kinds.RESOURCE_QUOTA.kind(), namespace, quota).toString();
  }

  static QuotaStep step(QuotaStepOp op, String objectKind, String objectName, String uid, Map<String, Quantity> usage) {
    QuotaStep s = new QuotaStep();
    s.setOp(op);
    s.setObjectKind(objectKind);
    s.setObjectName(objectName);
    s.setObjectUid(uid == null ? "" : uid);
    s.setUsage(new java.util.HashMap<>(ResourceLists.format(usage)));
    s.setQuotas(List.of());
    s.setIndex(0);
    s.setCharged(List.of());
    s.setLive(List.of());
    s.setGraceMicros(0L);
    return s;
  }

  static Command toQuota(String namespace, String quota, String actor, QuotaStep step) {
    return Command.newBuilder()
        .setRequestId("quota-" + step.getOp().name().toLowerCase(java.util.Locale.ROOT) + "-" + UUID.randomUUID())
        .setClientId("")
        .setOp(CommandOp.UPDATE_STATUS)
        .setKind(Kinds.RESOURCE_QUOTA.kind())
        .setNamespace(namespace)
        .setName(quota)
        .setActor(actor)
        .setSentAtMicros(System.currentTimeMillis() * 1000)
        .setQuota(step)
        .build();
  }
}
