package io.capstan.logschema.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.Manifests;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each rule with a failing and a passing case; the manifests are the passing baseline. */
class ObjectValidatorTest {

  private static List<String> errors(Kind kind, String yaml) {
    return ObjectValidator.validate(kind, KubeJson.fromJson(kind, KubeJson.parse(yaml)).object())
        .stream().map(FieldError::toString).toList();
  }

  private static final String POD = """
      metadata: {name: web, namespace: default}
      spec:
        containers:
          - name: app
            image: nginx
      """;

  private static void assertHas(List<String> errors, String expected) {
    assertTrue(errors.contains(expected), "expected <" + expected + "> in " + errors);
  }

  @Test
  void minimalPodIsValid() {
    assertEquals(List.of(), errors(Kinds.POD, POD));
  }

  @Test
  void dnsConfigIsCheckedAsKubernetesDoes() {
    String pod = POD + "  dnsPolicy: POLICY\n  dnsConfig: CONFIG\n";
    assertEquals(List.of(), errors(Kinds.POD, pod.replace("POLICY", "None")
        .replace("CONFIG", "{nameservers: [1.1.1.1, '2001:db8::1'], searches: [a.example., b], options: [{name: ndots, value: '2'}]}")));
    assertEquals(List.of("spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"),
        errors(Kinds.POD, POD + "  dnsPolicy: None\n"));
    assertEquals(List.of("spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when"
        + " `dnsPolicy` is None"), errors(Kinds.POD, pod.replace("POLICY", "None").replace("CONFIG", "{searches: [a]}")));
    List<String> bad = errors(Kinds.POD, pod.replace("POLICY", "ClusterFirst").replace("CONFIG",
        "{nameservers: [1.1.1.1, 2.2.2.2, 3.3.3.3, dns.example], searches: [Bad_Domain], options: [{value: x}]}"));
    assertHas(bad, "spec.dnsConfig.nameservers: Invalid value: \"[1.1.1.1, 2.2.2.2, 3.3.3.3, dns.example]\": "
        + "must not have more than 3 nameservers");
    assertHas(bad, "spec.dnsConfig.nameservers[3]: Invalid value: \"dns.example\": must be a valid IP address");
    assertTrue(bad.stream().anyMatch(e -> e.startsWith("spec.dnsConfig.searches[0]: Invalid value: \"Bad_Domain\"")), bad::toString);
    assertHas(bad, "spec.dnsConfig.options[0]: Required value: must not be empty");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 33; i++) {
      many.append(i == 0 ? "" : ", ").append("d").append(i);
    }
    assertTrue(errors(Kinds.POD, pod.replace("POLICY", "Default").replace("CONFIG", "{searches: [" + many + "]}"))
        .stream().anyMatch(e -> e.endsWith("must not have more than 32 search paths")));
    String longName = "a".repeat(60) + "." + "b".repeat(60) + "." + "c".repeat(60);
    String longList = String.join(", ", java.util.Collections.nCopies(12, longName));
    assertTrue(errors(Kinds.POD, pod.replace("POLICY", "Default").replace("CONFIG", "{searches: [" + longList + "]}"))
        .stream().anyMatch(e -> e.endsWith("must not have more than 2048 characters (including spaces) in the search list")));
  }

  @Test
  void namesFollowTheKindsSyntax() {
    assertHas(errors(Kinds.POD, POD.replace("name: web", "name: Web_1")), "metadata.name: Invalid value: \"Web_1\": "
        + "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        + "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    assertEquals(List.of(), errors(Kinds.POD, POD.replace("name: web", "name: web.v1")));
    // Namespaces are labels: no dots.
    assertEquals(1, errors(Kinds.NAMESPACE, "metadata: {name: a.b}").size());
    assertEquals(List.of(), errors(Kinds.NAMESPACE, "metadata: {name: team-a}"));
    // Services are DNS-1035 labels: start with a letter.
    String svc = "metadata: {name: NAME, namespace: d}\nspec: {ports: [{port: 80}]}";
    assertTrue(errors(Kinds.SERVICE, svc.replace("NAME", "1web")).get(0).startsWith("metadata.name: Invalid value"));
    assertEquals(List.of(), errors(Kinds.SERVICE, svc.replace("NAME", "web1")));
  }

  @Test
  void nameAndNamespaceAreRequiredWhereTheyApply() {
    assertEquals(List.of("metadata.name: Required value", "metadata.namespace: Required value"),
        errors(Kinds.POD, "metadata: {generateName: web-}\nspec: {containers: [{name: a, image: b}]}"));
    assertEquals(List.of("metadata.namespace: Forbidden: not allowed on this type"),
        errors(Kinds.NODE, "metadata: {name: n1, namespace: default}"));
  }

  @Test
  void labelsAndAnnotationsUseQualifiedNames() {
    List<String> e = errors(Kinds.POD, POD.replace("namespace: default}",
        "namespace: default, labels: {\"bad key!\": ok, app: \"-bad-\"}, annotations: {\"/x\": y}}"));
    assertEquals(3, e.size(), e.toString());
    assertTrue(e.get(0).startsWith("metadata.labels: Invalid value: \"bad key!\": name part must consist"));
    assertTrue(e.get(1).startsWith("metadata.labels: Invalid value: \"-bad-\": a valid label must be"));
    assertEquals("metadata.annotations: Invalid value: \"/x\": prefix part must be non-empty", e.get(2));
    assertEquals(List.of(), errors(Kinds.POD, POD.replace("namespace: default}",
        "namespace: default, labels: {app.kubernetes.io/name: web, empty: \"\"}}")));
    String longValue = "a".repeat(64);
    assertHas(errors(Kinds.POD, POD.replace("namespace: default}", "namespace: default, labels: {a: " + longValue + "}}")),
        "metadata.labels: Invalid value: \"" + longValue + "\": must be no more than 63 characters");
  }

  @Test
  void requiredFieldsFromTheSchema() {
    assertEquals(List.of("spec.containers: Required value"),
        errors(Kinds.POD, "metadata: {name: p, namespace: d}\nspec: {containers: []}"));
    assertEquals(List.of("spec.containers[0].name: Required value", "spec.containers[0].image: Required value"),
        errors(Kinds.POD, "metadata: {name: p, namespace: d}\nspec: {containers: [{}]}"));
    assertEquals(List.of("spec.containers[0].env[0].name: Required value"),
        errors(Kinds.POD, POD + "      env: [{value: x}]\n"));
  }

  @Test
  void imagesMustBeReferencesANodeCouldPull() {
    assertEquals(List.of("spec.containers[0].image: Invalid value: \"Busy Box\": invalid image reference \"Busy Box\""),
        errors(Kinds.POD, "metadata: {name: p, namespace: d}\nspec: {containers: [{name: a, image: Busy Box}]}"));
    assertTrue(errors(Kinds.POD, "metadata: {name: p, namespace: d}\nspec: {containers: [{name: a, image: 'x@sha256:12'}]}")
        .get(0).startsWith("spec.containers[0].image: Invalid value: \"x@sha256:12\": invalid digest"));
    assertEquals(List.of(), errors(Kinds.POD,
        "metadata: {name: p, namespace: d}\nspec: {containers: [{name: a, image: '127.0.0.1:5000/team/app:1.0'}]}"));
  }

  @Test
  void containerNamesAreUniqueLabels() {
    assertEquals(List.of("spec.containers[0].name: Duplicate value: \"app\""), errors(Kinds.POD,
        POD + "  initContainers: [{name: app, image: busybox}]\n"));
    assertTrue(errors(Kinds.POD, POD.replace("name: app", "name: App")).get(0)
        .startsWith("spec.containers[0].name: Invalid value: \"App\": a lowercase RFC 1123 label"));
  }

  @Test
  void portsAndProtocols() {
    assertEquals(List.of("spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and "
            + "65535, inclusive",
        "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\""),
        errors(Kinds.POD, POD + "      ports: [{containerPort: 70000, protocol: HTTP}]\n"));
    assertEquals(List.of(), errors(Kinds.POD, POD + "      ports: [{containerPort: 53, protocol: UDP, name: dns}]\n"));
    assertEquals(List.of("spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"),
        errors(Kinds.SERVICE, "metadata: {name: s, namespace: d}\nspec: {ports: [{port: 0}]}"));
  }

  @Test
  void quantitiesMustParseAndRequestsFitLimits() {
    assertHas(errors(Kinds.POD, POD + "      resources: {requests: {cpu: abc}}\n"),
        "spec.containers[0].resources.requests.cpu: Invalid value: \"abc\": " + io.capstan.logschema.resource.Quantity.SYNTAX_MESSAGE);
    assertEquals(List.of("spec.containers[0].resources.requests.cpu: Invalid value: \"2\": must be less than or "
            + "equal to cpu limit of 1"),
        errors(Kinds.POD, POD + "      resources: {requests: {cpu: \"2\"}, limits: {cpu: \"1\"}}\n"));
    assertEquals(List.of(), errors(Kinds.POD, POD + "      resources: {requests: {cpu: 500m}, limits: {cpu: \"1\"}}\n"));
  }

  @Test
  void restartPolicyIsAnEnum() {
    assertEquals(List.of("spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
        + "\"OnFailure\", \"Never\""), errors(Kinds.POD, POD + "  restartPolicy: Sometimes\n"));
    assertEquals(List.of(), errors(Kinds.POD, POD + "  restartPolicy: OnFailure\n"));
  }

  @Test
  void probesNeedExactlyOneHandler() {
    assertEquals(List.of("spec.containers[0].livenessProbe: Required value: must specify a handler type"),
        errors(Kinds.POD, POD + "      livenessProbe: {periodSeconds: 3}\n"));
    assertEquals(List.of("spec.containers[0].readinessProbe: Forbidden: may not specify more than 1 handler type"),
        errors(Kinds.POD, POD + "      readinessProbe: {tcpSocket: {port: 80}, exec: {command: [\"true\"]}}\n"));
    assertEquals(List.of("spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and "
        + "65535, inclusive"), errors(Kinds.POD, POD + "      readinessProbe: {httpGet: {port: 0}}\n"));
  }

  @Test
  void volumeMountsReferToVolumes() {
    assertEquals(List.of("spec.containers[0].volumeMounts[0].name: Not found: \"data\""),
        errors(Kinds.POD, POD + "      volumeMounts: [{name: data, mountPath: /data}]\n"));
    assertEquals(List.of(), errors(Kinds.POD, POD + "      volumeMounts: [{name: data, mountPath: /data}]\n"
        + "  volumes: [{name: data, emptyDir: {}}]\n"));
    assertEquals(List.of("spec.volumes[0]: Required value: must specify a volume type"),
        errors(Kinds.POD, POD + "  volumes: [{name: data}]\n"));
  }

  @Test
  void tolerationsAndTopologySpread() {
    assertEquals(List.of("spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' "
        + "when `tolerationSeconds` is set"),
        errors(Kinds.POD, POD + "  tolerations: [{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}]\n"));
    assertEquals(List.of("spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero"),
        errors(Kinds.POD, POD + "  topologySpreadConstraints: [{maxSkew: 0, topologyKey: zone, "
            + "whenUnsatisfiable: DoNotSchedule}]\n"));
  }

  private static final String DEPLOYMENT = """
      metadata: {name: web, namespace: default}
      spec:
        replicas: REPLICAS
        selector: {matchLabels: {app: SELECTED}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: app, image: nginx}]
      """;

  @Test
  void replicasAreNonNegative() {
    assertEquals(List.of("spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        errors(Kinds.DEPLOYMENT, DEPLOYMENT.replace("REPLICAS", "-1").replace("SELECTED", "web")));
    assertEquals(List.of(), errors(Kinds.DEPLOYMENT, DEPLOYMENT.replace("REPLICAS", "0").replace("SELECTED", "web")));
  }

  @Test
  void selectorMustMatchTemplateLabels() {
    assertEquals(List.of("spec.template.metadata.labels: Invalid value: \"{app=web}\": `selector` does not match "
        + "template `labels`"),
        errors(Kinds.DEPLOYMENT, DEPLOYMENT.replace("REPLICAS", "1").replace("SELECTED", "api")));
    String rs = DEPLOYMENT.replace("REPLICAS", "1").replace("SELECTED", "api");
    assertEquals(1, errors(Kinds.REPLICA_SET, rs).size());
    assertEquals(List.of("spec.selector: Invalid value: \"{}\": empty selector is invalid"),
        errors(Kinds.DEPLOYMENT, DEPLOYMENT.replace("REPLICAS", "1").replace("{matchLabels: {app: SELECTED}}", "{}")));
    String job = """
        metadata: {name: j, namespace: d}
        spec:
          manualSelector: true
          selector: {matchExpressions: [{key: app, operator: In, values: [other]}]}
          template:
            metadata: {labels: {app: j}}
            spec: {restartPolicy: Never, containers: [{name: a, image: b}]}
        """;
    assertEquals(1, errors(Kinds.JOB, job).size());
    assertEquals(List.of(), errors(Kinds.JOB, job.replace("[other]", "[j]")));
  }

  @Test
  void templatesNeedTheControllersRestartPolicy() {
    String job = """
        metadata: {name: j, namespace: d}
        spec:
          template:
            spec: {restartPolicy: Always, containers: [{name: a, image: b}]}
        """;
    assertEquals(List.of("spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: "
        + "\"OnFailure\", \"Never\""), errors(Kinds.JOB, job));
    assertEquals(List.of("spec.completions: Required value: when completion mode is Indexed"),
        errors(Kinds.JOB, job.replace("Always", "Never").replace("spec:\n  template", "spec:\n  completionMode: "
            + "Indexed\n  template")));
  }

  @Test
  void serviceRules() {
    assertEquals(List.of("spec.ports[0].name: Required value", "spec.ports[1].name: Required value"),
        errors(Kinds.SERVICE, "metadata: {name: s, namespace: d}\nspec: {ports: [{port: 80}, {port: 81}]}"));
    assertEquals(List.of("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
        errors(Kinds.SERVICE, "metadata: {name: s, namespace: d}\nspec: {ports: [{port: 80, nodePort: 30001}]}"));
    assertEquals(List.of("spec.ports[0].targetPort: Invalid value: \"http--x\": must not contain consecutive hyphens"),
        errors(Kinds.SERVICE, "metadata: {name: s, namespace: d}\nspec: {ports: [{port: 80, targetPort: http--x}]}"));
  }

  @Test
  void otherKinds() {
    assertEquals(List.of("spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", "
        + "\"PreferNoSchedule\", \"NoExecute\""),
        errors(Kinds.NODE, "metadata: {name: n}\nspec: {taints: [{key: k, effect: Sometimes}]}"));
    assertEquals(List.of("spec.leaseDurationSeconds: Invalid value: 0: must be greater than zero"),
        errors(Kinds.LEASE, "metadata: {name: l, namespace: d}\nspec: {leaseDurationSeconds: 0}"));
    assertEquals(List.of("spec.limits[0].min.cpu: Invalid value: \"2\": min value 2 is greater than max value 1"),
        errors(Kinds.LIMIT_RANGE, "metadata: {name: l, namespace: d}\n"
            + "spec: {limits: [{type: Container, min: {cpu: \"2\"}, max: {cpu: \"1\"}}]}"));
    assertTrue(errors(Kinds.CONFIG_MAP, "metadata: {name: c, namespace: d}\ndata: {\"a/b\": x}").get(0)
        .startsWith("data: Invalid value: \"a/b\": a valid config key"));
    assertEquals(List.of("involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"),
        errors(Kinds.EVENT, "metadata: {name: e, namespace: d}\ninvolvedObject: {kind: Pod, name: p, namespace: other}"));
    assertEquals(List.of("lastTimestamp: Invalid value: \"yesterday\": must be an RFC 3339 date-time "
        + "(e.g. 2024-05-01T12:00:00Z)"),
        errors(Kinds.EVENT, "metadata: {name: e, namespace: d}\ninvolvedObject: {kind: Pod}\nlastTimestamp: yesterday"));
  }

  @Test
  void limitRangeBoundsAreConsistentAsKubeChecksThem() {
    assertEquals(List.of(), errors(Kinds.LIMIT_RANGE, "metadata: {name: l, namespace: d}\n"
        + "spec: {limits: [{type: Container, min: {cpu: 100m}, defaultRequest: {cpu: 200m}, default: {cpu: 500m},"
        + " max: {cpu: \"1\"}, maxLimitRequestRatio: {cpu: \"5\"}}, {type: Pod, max: {cpu: \"2\"}}]}"));
    assertEquals(List.of(
            "spec.limits[0].defaultRequest.cpu: Invalid value: \"2\": default request value 2 is greater than max value 1",
            "spec.limits[0].defaultRequest.cpu: Invalid value: \"2\": default request value 2 is greater than default"
                + " limit value 500m",
            "spec.limits[0].maxLimitRequestRatio.memory: Invalid value: \"20\": ratio 20 is greater than max/min ="
                + " 4.000000",
            "spec.limits[1].type: Duplicate value: \"Container\"",
            "spec.limits[2].default: Forbidden: may not be specified when `type` is 'Pod'",
            "spec.limits[3].limits: Required value: either minimum or maximum storage value is required, but neither"
                + " was provided"),
        errors(Kinds.LIMIT_RANGE, "metadata: {name: l, namespace: d}\n"
            + "spec: {limits: [{type: Container, defaultRequest: {cpu: \"2\"}, default: {cpu: 500m},"
            + " max: {cpu: \"1\", memory: 4Gi}, min: {memory: 1Gi}, maxLimitRequestRatio: {memory: \"20\"}},"
            + " {type: Container}, {type: Pod, default: {cpu: \"1\"}}, {type: PersistentVolumeClaim, max: {cpu: \"1\"}}]}"));
  }

  @Test
  void everyManifestIsValid() {
    for (String file : Manifests.FILES) {
      for (var doc : KubeJson.parseAll(Manifests.text(file))) {
        Kind kind = KubeJson.kindOf(doc);
        assertEquals(List.of(), ObjectValidator.validate(kind, KubeJson.fromJson(doc).object()), file);
      }
    }
  }
}
