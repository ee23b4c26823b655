package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.DaemonSet;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/** DaemonSet and ControllerRevision validation and defaults as kube-apiserver's apps/v1. */
class DaemonSetRulesTest {
  private static final String TEMPLATE = """
      template:
        metadata: {labels: {app: agent}}
        spec: {containers: [{name: agent, image: agent:1}]}
      """;

  private static IndexedRecord object(Kind kind, String yaml) {
    IndexedRecord o = KubeJson.fromJson(kind, KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(o);
    return o;
  }

  private static List<String> errors(Kind kind, String yaml) {
    return ObjectValidator.validate(kind, object(kind, yaml)).stream().map(FieldError::toString).toList();
  }

  private static String ds(String spec) {
    return "metadata: {name: agent, namespace: default}\nspec:\n" + (spec + TEMPLATE).indent(2);
  }

  @Test
  void aDaemonSetIsDefaultedToRollOneNodeAtATime() {
    DaemonSet d = (DaemonSet) object(Kinds.DAEMON_SET, ds("selector: {matchLabels: {app: agent}}\n"));
    assertEquals("RollingUpdate", d.getSpec().getUpdateStrategy().getType());
    assertEquals(1, d.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable());
    assertEquals(0, d.getSpec().getUpdateStrategy().getRollingUpdate().getMaxSurge());
    assertEquals(10, d.getSpec().getRevisionHistoryLimit());
    assertEquals("Always", d.getSpec().getTemplate().getSpec().getRestartPolicy());
    assertEquals(List.of(), ObjectValidator.validate(Kinds.DAEMON_SET, d));
    DaemonSet onDelete = (DaemonSet) object(Kinds.DAEMON_SET, ds("""
        selector: {matchLabels: {app: agent}}
        updateStrategy: {type: OnDelete}
        """));
    assertEquals(null, onDelete.getSpec().getUpdateStrategy().getRollingUpdate());
    assertEquals(List.of(), ObjectValidator.validate(Kinds.DAEMON_SET, onDelete));
  }

  @Test
  void selectorTemplateAndStrategyAreWordedAsKube() {
    List<String> bad = errors(Kinds.DAEMON_SET, ds("""
        selector: {matchLabels: {app: other}}
        minReadySeconds: -1
        revisionHistoryLimit: -2
        updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: "10%"}}
        """));
    assertTrue(bad.contains("spec.template.metadata.labels: Invalid value: \"{app=agent}\": `selector` does not match"
        + " template `labels`"), bad::toString);
    assertTrue(bad.contains("spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"), bad::toString);
    assertTrue(bad.contains("spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0"),
        bad::toString);
    assertTrue(bad.contains("spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: \"10%\": may not be set when"
        + " maxUnavailable is non-zero"), bad::toString);
    assertEquals(4, bad.size(), bad::toString);

    assertEquals(List.of("spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge"
        + " is 0"), errors(Kinds.DAEMON_SET, ds("""
        selector: {matchLabels: {app: agent}}
        updateStrategy: {rollingUpdate: {maxUnavailable: "0%", maxSurge: 0}}
        """)));
    assertEquals(List.of("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"120%\": must not be"
        + " greater than 100%"), errors(Kinds.DAEMON_SET, ds("""
        selector: {matchLabels: {app: agent}}
        updateStrategy: {rollingUpdate: {maxUnavailable: "120%"}}
        """)));
    assertEquals(List.of("spec.updateStrategy: Unsupported value: \"Recreate\": supported values: \"RollingUpdate\","
        + " \"OnDelete\""), errors(Kinds.DAEMON_SET, ds("""
        selector: {matchLabels: {app: agent}}
        updateStrategy: {type: Recreate}
        """)));
    assertEquals(List.of("spec.selector: Invalid value: \"{}\": empty selector is invalid for daemonset"),
        errors(Kinds.DAEMON_SET, ds("selector: {}\n")));
    // a missing selector decodes as an empty one (Go's zero value): refused the same way
    assertEquals(List.of("spec.selector: Invalid value: \"{}\": empty selector is invalid for daemonset"),
        errors(Kinds.DAEMON_SET, ds("")));
    List<String> restart = errors(Kinds.DAEMON_SET, """
        metadata: {name: agent, namespace: default}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec: {restartPolicy: OnFailure, activeDeadlineSeconds: 5, containers: [{name: agent, image: agent:1}]}
        """);
    assertTrue(restart.contains("spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values:"
        + " \"Always\""), restart::toString);
    assertTrue(restart.contains("spec.template.spec.activeDeadlineSeconds: Invalid value: 5: activeDeadlineSeconds in"
        + " DaemonSet is not Supported"), restart::toString);
  }

  @Test
  void theSelectorOfADaemonSetAndTheDataOfARevisionAreImmutable() {
    IndexedRecord before = object(Kinds.DAEMON_SET, ds("selector: {matchLabels: {app: agent}}\n"));
    IndexedRecord same = object(Kinds.DAEMON_SET, ds("selector: {matchLabels: {app: agent}}\nminReadySeconds: 5\n"));
    assertEquals(List.of(), DaemonSetRules.checkUpdate(before, same));
    IndexedRecord moved = object(Kinds.DAEMON_SET, ds("""
        selector: {matchLabels: {app: agent}, matchExpressions: [{key: tier, operator: Exists}]}
        """));
    List<FieldError> errors = DaemonSetRules.checkUpdate(before, moved);
    assertEquals(1, errors.size());
    assertEquals("spec.selector", errors.get(0).field());
    assertTrue(errors.get(0).message().endsWith(": field is immutable"), errors.get(0).message());

    String revision = """
        metadata: {name: agent-abc, namespace: default}
        data: {spec: {template: {$patch: replace, spec: {containers: [{name: a, image: IMAGE}]}}}}
        revision: 3
        """;
    IndexedRecord r1 = object(Kinds.CONTROLLER_REVISION, revision.replace("IMAGE", "a:1"));
    assertEquals(List.of(), ObjectValidator.validate(Kinds.CONTROLLER_REVISION, r1));
    assertEquals(List.of(), DaemonSetRules.checkUpdate(r1, object(Kinds.CONTROLLER_REVISION,
        revision.replace("IMAGE", "a:1").replace("revision: 3", "revision: 4"))));
    List<FieldError> changed = DaemonSetRules.checkUpdate(r1, object(Kinds.CONTROLLER_REVISION,
        revision.replace("IMAGE", "a:2")));
    assertEquals("data", changed.get(0).field());
    assertTrue(changed.get(0).message().endsWith(": field is immutable"), changed.get(0).message());
    assertEquals(List.of("data: Required value: data is mandatory",
        "revision: Invalid value: -1: must be greater than or equal to 0"),
        errors(Kinds.CONTROLLER_REVISION, "metadata: {name: r, namespace: default}\nrevision: -1\n"));
  }
}
