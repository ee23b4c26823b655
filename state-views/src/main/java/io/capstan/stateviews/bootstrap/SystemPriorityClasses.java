package io.capstan.stateviews.bootstrap;

import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.validation.PriorityClassRules;
import io.capstan.stateviews.processor.rules.PriorityAdmission;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the built-in PriorityClasses, {@code system-cluster-critical} (2000000000) and
 * {@code system-node-critical} (2000001000), as kube-apiserver's scheduling post-start hook
 * does. Idempotent: AlreadyExists is success.
 */
public final class SystemPriorityClasses {
  private static final Logger log = LoggerFactory.getLogger(SystemPriorityClasses.class);
  public static final List<String> NAMES =
      List.of(PriorityClassRules.SYSTEM_NODE_CRITICAL, PriorityClassRules.SYSTEM_CLUSTER_CRITICAL);

  private SystemPriorityClasses() {}

  public static void ensure(CommandClient client, Duration timeout) {
    int created = IdempotentCreates.createAll(client, "priority class", NAMES, NAMES.stream().map(PriorityAdmission::systemClass).toList(), timeout);
    if (created > 0) {
      log.info("created {} system priority classes", created);
    }
  }
}
