package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.StatefulSet;
import io.capstan.logschema.defaults.ObjectDefaults;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/** StatefulSet validation and defaults as kube-apiserver's apps/v1. */
class StatefulSetRulesTest {
  private static final String TEMPLATE = """
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: nginx, image: nginx:1}]}
      """;

  private static IndexedRecord object(String yaml) {
    IndexedRecord o = KubeJson.fromJson(Kinds.STATEFUL_SET, KubeJson.parse(yaml)).object();
    ObjectDefaults.apply(o);
    return o;
  }

  private static List<String> errors(String yaml) {
    return ObjectValidator.validate(Kinds.STATEFUL_SET, object(yaml)).stream().map(FieldError::toString).toList();
  }

  private static String sts(String spec) {
    return "metadata: {name: web, namespace: default}\nspec:\n" + (spec + TEMPLATE).indent(2);
  }

  @Test
  void aStatefulSetIsDefaultedAsKubeDefaultsIt() {
    StatefulSet s = (StatefulSet) object(sts("selector: {matchLabels: {app: web}}\nserviceName: web\n"));
    assertEquals("OrderedReady", s.getSpec().getPodManagementPolicy());
    assertEquals("RollingUpdate", s.getSpec().getUpdateStrategy().getType());
    assertEquals(0, s.getSpec().getUpdateStrategy().getRollingUpdate().getPartition());
    assertNull(s.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable());
    assertEquals("Retain", s.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted());
    assertEquals("Retain", s.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled());
    assertEquals(1, s.getSpec().getReplicas());
    assertEquals(10, s.getSpec().getRevisionHistoryLimit());
    assertEquals("Always", s.getSpec().getTemplate().getSpec().getRestartPolicy());
    assertEquals(List.of(), ObjectValidator.validate(Kinds.STATEFUL_SET, s));
    StatefulSet onDelete = (StatefulSet) object(sts("""
        selector: {matchLabels: {app: web}}
        podManagementPolicy: Parallel
        updateStrategy: {type: OnDelete}
        persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete}
        ordinals: {start: 5}
        """));
    assertNull(onDelete.getSpec().getUpdateStrategy().getRollingUpdate());
    assertEquals("Delete", onDelete.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted());
    assertEquals("Retain", onDelete.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled());
    assertEquals(List.of(), ObjectValidator.validate(Kinds.STATEFUL_SET, onDelete));
  }

  @Test
  void badSpecsAreWordedAsKube() {
    List<String> bad = errors(sts("""
        replicas: -1
        selector: {matchLabels: {app: other}}
        podManagementPolicy: Sometimes
        minReadySeconds: -1
        ordinals: {start: -2}
        updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: -1, maxUnavailable: 0}}
        persistentVolumeClaimRetentionPolicy: {whenDeleted: Keep, whenScaled: Delete}
        """));
    assertTrue(bad.contains("spec.template.metadata.labels: Invalid value: \"{app=web}\": `selector` does not match"
        + " template `labels`"), bad::toString);
    assertTrue(bad.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"), bad::toString);
    assertTrue(bad.contains("spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or"
        + " 'Parallel'"), bad::toString);
    assertTrue(bad.contains("spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"),
        bad::toString);
    assertTrue(bad.contains("spec.ordinals.start: Invalid value: -2: must be greater than or equal to 0"),
        bad::toString);
    assertTrue(bad.contains("spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or"
        + " equal to 0"), bad::toString);
    assertTrue(bad.contains("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"),
        bad::toString);
    assertTrue(bad.contains("spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: \"Keep\":"
        + " supported values: \"Retain\", \"Delete\""), bad::toString);
    assertEquals(8, bad.size(), bad::toString);

    assertEquals(List.of("spec.updateStrategy: Invalid value: \"Recreate\": must be 'RollingUpdate' or 'OnDelete'"),
        errors(sts("selector: {matchLabels: {app: web}}\nupdateStrategy: {type: Recreate}\n")));
    assertEquals(List.of("spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: \"120%\": must not be"
        + " greater than 100%"), errors(sts("""
        selector: {matchLabels: {app: web}}
        updateStrategy: {rollingUpdate: {maxUnavailable: "120%"}}
        """)));
    assertEquals(1, errors(sts("""
        selector: {matchLabels: {app: web}}
        updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}
        """)).size());
    assertEquals(List.of("spec.selector: Invalid value: \"{}\": empty selector is invalid for statefulset"),
        errors(sts("selector: {}\n")));
    List<String> restart = errors("""
        metadata: {name: web, namespace: default}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {restartPolicy: Never, activeDeadlineSeconds: 5, containers: [{name: nginx, image: nginx:1}]}
        """);
    assertTrue(restart.contains("spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values:"
        + " \"Always\""), restart::toString);
    assertTrue(restart.contains("spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in"
        + " StatefulSet is not Supported"), restart::toString);
  }

  @Test
  void onlySevenSpecFieldsMayChange() {
    IndexedRecord before = object(sts("selector: {matchLabels: {app: web}}\nserviceName: web\n"));
    IndexedRecord allowed = object(sts("""
        selector: {matchLabels: {app: web}}
        serviceName: web
        replicas: 5
        minReadySeconds: 3
        revisionHistoryLimit: 2
        ordinals: {start: 1}
        updateStrategy: {type: OnDelete}
        persistentVolumeClaimRetentionPolicy: {whenScaled: Delete}
        """).replace("nginx:1", "nginx:2"));
    assertEquals(List.of(), StatefulSetRules.checkUpdate(before, allowed));
    for (String changed : List.of("selector: {matchLabels: {app: web}}\nserviceName: other\n",
        "selector: {matchLabels: {app: web}}\nserviceName: web\npodManagementPolicy: Parallel\n")) {
      List<FieldError> errors = StatefulSetRules.checkUpdate(before, object(sts(changed)));
      assertEquals(1, errors.size(), changed);
      assertEquals("spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
          + "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
          + "'minReadySeconds' are forbidden", errors.get(0).toString());
    }
  }
  @Test
  void mountsOfClaimTemplatesValidateAndTemplatesNeedNamesAndAreImmutable() {
    String claims = """
        metadata: {name: web, namespace: default}
        spec:
          selector: {matchLabels: {app: web}}
          serviceName: web
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: nginx
                image: nginx:1
                volumeMounts: [{name: www, mountPath: /www}, {name: MOUNT, mountPath: /other}]
          volumeClaimTemplates:
          - metadata: {name: www}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
        """;
    IndexedRecord ok = object(claims.replace("MOUNT", "www2").replace("volumeClaimTemplates:\n",
        "volumeClaimTemplates:\n  - metadata: {name: www2}\n    spec: {accessModes: [ReadWriteOnce]}\n"));
    assertEquals(List.of(), ObjectValidator.validate(Kinds.STATEFUL_SET, ok));
    assertEquals("www", ((StatefulSet) ok).getSpec().getVolumeClaimTemplates().get(1).getMetadata().getName());
    assertTrue(((StatefulSet) ok).getSpec().getTemplate().getSpec().getVolumes() == null,
        "the stored template keeps its own volumes");
    // a mount of neither a volume nor a claim template is still refused
    assertEquals(List.of("spec.template.spec.containers[0].volumeMounts[1].name: Not found: \"data\""),
        errors(claims.replace("MOUNT", "data")));
    // templates need a name, once
    List<String> bad = errors(claims.replace("MOUNT", "www").replace("/other", "/www2")
        .replace("volumeClaimTemplates:\n", "volumeClaimTemplates:\n  - metadata: {name: www}\n  - metadata: {}\n"));
    assertTrue(bad.contains("spec.volumeClaimTemplates[1].metadata.name: Required value"), bad::toString);
    assertTrue(bad.contains("spec.volumeClaimTemplates[2].metadata.name: Duplicate value: \"www\""), bad::toString);
    // volumeClaimTemplates are not among the fields an update may change
    IndexedRecord changed = object(claims.replace("MOUNT", "www").replace("/other", "/www2").replace("1Gi", "2Gi"));
    assertEquals(1, StatefulSetRules.checkUpdate(object(claims.replace("MOUNT", "www").replace("/other", "/www2")),
        changed).size());
  }
}
