package io.capstan.gateway.protobuf;

import static io.capstan.gateway.protobuf.ProtoWriter.envelope;
import static io.capstan.gateway.protobuf.ProtoWriter.intOrString;
import static io.capstan.gateway.protobuf.ProtoWriter.message;
import static io.capstan.gateway.protobuf.ProtoWriter.newObjectMeta;
import static io.capstan.gateway.protobuf.ProtoWriter.quantity;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.errors.ApiException;
import io.capstan.logschema.json.Converted;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.validation.ObjectValidator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

/**
 * Protobuf bodies built field by field (numbers from k8s.io/api's generated.proto) decode to the
 * JSON a JSON client would have sent, which then converts to the kind's record with no unknown
 * fields and passes validation; malformed bodies are 400s naming what is wrong.
 */
class KubernetesProtobufTest {
  private final KubernetesProtobuf protobuf = KubernetesProtobuf.standard();

  private JsonNode decode(Kind kind, byte[] body) {
    KubernetesProtobuf.Decoded decoded = protobuf.decode(body, kind);
    assertEquals(List.of(), decoded.unknownFields(), decoded.object().toString());
    return decoded.object();
  }

  /** The decoded JSON must go through the shared JSON path untouched: every field known, the object valid. */
  private static void convertsCleanly(Kind kind, JsonNode json) {
    Converted<IndexedRecord> converted = KubeJson.fromJson(kind, json);
    if (kind.namespaced()) {
      // as the gateway does for a body without one: the namespace comes from the URL
      io.capstan.api.ObjectMeta meta = (io.capstan.api.ObjectMeta) converted.object().get(
          converted.object().getSchema().getField("metadata").pos());
      meta.setNamespace("default");
    }
    assertEquals(List.of(), converted.unknownFields(), json.toString());
    assertEquals(List.of(), ObjectValidator.validate(kind, converted.object()), json.toString());
  }

  private static ProtoWriter container(String name, String image) {
    return message().string(1, name).string(2, image).string(5, "").message(8, message())
        .string(13, "").string(14, "").bool(16, false).bool(17, false).bool(18, false).string(20, "");
  }

  private static ProtoWriter podTemplate(String app, ProtoWriter container) {
    return message().message(1, newObjectMeta("", "app", app))
        .message(2, message().message(2, container).string(3, "").string(6, "").string(8, "").string(9, "")
            .string(10, "").bool(11, false).bool(12, false).bool(13, false).string(16, "").string(17, "")
            .string(19, "").string(24, ""));
  }

  @Test
  void deploymentAsKubectlCreateDeploymentSendsIt() {
    ProtoWriter c = container("busybox", "busybox").string(3, "sleep").string(3, "3600").string(4, "-v")
        .message(6, message().string(1, "").varint(2, 0).varint(3, 8080).string(4, "TCP").string(5, ""))
        .message(8, message().entry(1, "cpu", quantity("500m").toBytes()).entry(2, "memory", quantity("64Mi").toBytes()));
    ProtoWriter spec = message().varint(1, 2)
        .message(2, message().entry(1, "app", "web"))
        .message(3, podTemplate("web", c))
        .message(4, message().string(1, "RollingUpdate")
            .message(2, message().message(1, intOrString(0)).message(2, intOrString("25%"))))
        .varint(5, 0).bool(7, false);
    ProtoWriter status = message().varint(1, 0).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).varint(7, 0);
    byte[] body = envelope("apps/v1", "Deployment",
        message().message(1, newObjectMeta("web", "app", "web")).message(2, spec).message(3, status));

    JsonNode d = decode(Kinds.DEPLOYMENT, body);
    assertEquals("apps/v1", d.get("apiVersion").asText());
    assertEquals("Deployment", d.get("kind").asText());
    // Go always writes non-pointer fields; their zero values mean "unset", as JSON's omitempty.
    assertEquals("{\"name\":\"web\",\"labels\":{\"app\":\"web\"}}", d.get("metadata").toString());
    assertFalse(d.has("status"), "an all-zero status is no status: " + d);
    assertEquals(2, d.at("/spec/replicas").asInt());
    assertEquals("web", d.at("/spec/selector/matchLabels/app").asText());
    assertEquals("RollingUpdate", d.at("/spec/strategy/type").asText());
    assertTrue(d.at("/spec/strategy/rollingUpdate/maxUnavailable").isInt(), d.toString());
    assertEquals(0, d.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt(), "a pointer IntOrString keeps its 0");
    assertEquals("25%", d.at("/spec/strategy/rollingUpdate/maxSurge").asText());
    JsonNode container = d.at("/spec/template/spec/containers/0");
    assertEquals("{\"name\":\"busybox\",\"image\":\"busybox\",\"command\":[\"sleep\",\"3600\"],\"args\":[\"-v\"],"
        + "\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
        + "\"resources\":{\"limits\":{\"cpu\":\"500m\"},\"requests\":{\"memory\":\"64Mi\"}}}", container.toString());
    assertFalse(d.at("/spec/template/spec").has("restartPolicy"), "empty strings are unset: " + d);
    convertsCleanly(Kinds.DEPLOYMENT, d);
  }

  @Test
  void pointerScalarsKeepTheirZero() {
    ProtoWriter spec = message().varint(1, 0).message(2, message().entry(1, "app", "idle"))
        .message(3, podTemplate("idle", container("c", "busybox"))).varint(6, 0);
    JsonNode d = decode(Kinds.DEPLOYMENT, envelope("apps/v1", "Deployment",
        message().message(1, newObjectMeta("idle")).message(2, spec)));
    assertEquals(0, d.at("/spec/replicas").asInt(-1), "replicas: 0 is a pointer set to zero: " + d);
    assertEquals(0, d.at("/spec/revisionHistoryLimit").asInt(-1), d.toString());
    convertsCleanly(Kinds.DEPLOYMENT, d);
  }

  @Test
  void secretDataIsMapOfBytesAsBase64() {
    byte[] binary = {0, (byte) 0xff, 'x', '\n'};
    JsonNode s = decode(Kinds.SECRET, envelope("v1", "Secret", message().message(1, newObjectMeta("s"))
        .entry(2, "k", "v".getBytes(StandardCharsets.UTF_8)).entry(2, "bin", binary)
        .string(3, "kubernetes.io/basic-auth").entry(4, "plain", "text").bool(5, true)));
    assertEquals(Base64.getEncoder().encodeToString("v".getBytes(StandardCharsets.UTF_8)), s.at("/data/k").asText());
    assertEquals(Base64.getEncoder().encodeToString(binary), s.at("/data/bin").asText());
    assertEquals("text", s.at("/stringData/plain").asText());
    assertEquals("kubernetes.io/basic-auth", s.get("type").asText());
    assertTrue(s.get("immutable").asBoolean());
    convertsCleanly(Kinds.SECRET, s);
  }

  @Test
  void configMapDataAndBinaryData() {
    JsonNode cm = decode(Kinds.CONFIG_MAP, envelope("v1", "ConfigMap", message().message(1, newObjectMeta("c"))
        .entry(2, "a", "b").entry(2, "empty", "").entry(3, "blob", new byte[] {1, 2, 3})));
    assertEquals("{\"a\":\"b\",\"empty\":\"\"}", cm.get("data").toString(), "map values keep empty strings");
    assertEquals("AQID", cm.at("/binaryData/blob").asText());
    convertsCleanly(Kinds.CONFIG_MAP, cm);
  }

  @Test
  void serviceTargetPortIntStringAndUnset() {
    ProtoWriter spec = message()
        .message(1, message().string(1, "http").string(2, "TCP").varint(3, 80).message(4, intOrString(8080)).varint(5, 0))
        .message(1, message().string(1, "named").string(2, "TCP").varint(3, 81).message(4, intOrString("web")))
        .message(1, message().string(1, "same").string(2, "TCP").varint(3, 82).message(4, intOrString(0)))
        .entry(2, "app", "web").string(3, "").string(4, "ClusterIP").string(10, "");
    JsonNode svc = decode(Kinds.SERVICE, envelope("v1", "Service", message().message(1, newObjectMeta("svc"))
        .message(2, spec).message(3, message().message(1, message()))));
    assertEquals(8080, svc.at("/spec/ports/0/targetPort").asInt());
    assertFalse(svc.at("/spec/ports/0").has("nodePort"), svc.toString());
    assertEquals("web", svc.at("/spec/ports/1/targetPort").asText());
    assertFalse(svc.at("/spec/ports/2").has("targetPort"), "a zero IntOrString is unset (defaults to port): " + svc);
    assertEquals("ClusterIP", svc.at("/spec/type").asText());
    assertEquals("web", svc.at("/spec/selector/app").asText());
    convertsCleanly(Kinds.SERVICE, svc);
  }

  @Test
  void podWithInlinedVolumeSourceProbeHandlerAndObjectReferences() {
    ProtoWriter probe = message().message(1, message().message(2, message().string(1, "/healthz")
        .message(2, intOrString("http")).string(3, "").string(4, "HTTP"))).varint(2, 5).varint(4, 0);
    ProtoWriter env = message().string(1, "TOKEN").string(2, "")
        .message(3, message().message(4, message().message(1, message().string(1, "creds")).string(2, "token")));
    ProtoWriter c = container("main", "busybox").message(6, message().string(1, "http").varint(3, 8080))
        .message(7, env).message(10, probe)
        .message(9, message().string(1, "data").bool(2, true).string(3, "/data").string(4, ""))
        .message(15, message().varint(4, 0).bool(5, true));
    ProtoWriter spec = message()
        .message(1, message().string(1, "data").message(2, message().message(2, message().string(1, ""))))
        .message(1, message().string(1, "conf").message(2, message().message(19,
            message().message(1, message().string(1, "settings")).varint(3, 420))))
        .message(2, c).string(3, "Always").varint(4, 0).string(6, "ClusterFirst").entry(7, "disk", "ssd")
        .message(14, message().varint(2, 0).packed(4, 100, 200).varint(4, 300))
        .message(22, message().string(1, "dedicated").string(2, "Equal").string(3, "gpu").string(4, "NoSchedule"));
    ProtoWriter meta = newObjectMeta("p", "app", "web").entry(12, "note", "hi")
        .message(13, message().string(1, "ReplicaSet").string(3, "web-1").string(4, "uid-1").string(5, "apps/v1")
            .bool(6, true))
        .string(14, "example.com/cleanup");
    JsonNode pod = decode(Kinds.POD, envelope("v1", "Pod", message().message(1, meta).message(2, spec)));

    JsonNode volumes = pod.at("/spec/volumes");
    assertEquals("{\"name\":\"data\",\"emptyDir\":{}}", volumes.get(0).toString(), "VolumeSource is inlined");
    assertEquals("{\"name\":\"conf\",\"configMap\":{\"name\":\"settings\",\"defaultMode\":420}}",
        volumes.get(1).toString(), "LocalObjectReference is inlined");
    JsonNode main = pod.at("/spec/containers/0");
    assertEquals("{\"httpGet\":{\"path\":\"/healthz\",\"port\":\"http\",\"scheme\":\"HTTP\"},\"initialDelaySeconds\":5}",
        main.get("livenessProbe").toString(), "ProbeHandler is inlined");
    assertEquals("{\"name\":\"TOKEN\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"creds\",\"key\":\"token\"}}}",
        main.at("/env/0").toString());
    assertEquals("{\"runAsUser\":0,\"runAsNonRoot\":true}", main.get("securityContext").toString(),
        "runAsUser 0 (root) is a pointer set to zero");
    assertEquals("{\"name\":\"data\",\"readOnly\":true,\"mountPath\":\"/data\"}", main.at("/volumeMounts/0").toString());
    assertEquals(0, pod.at("/spec/terminationGracePeriodSeconds").asInt(-1));
    assertEquals("[100,200,300]", pod.at("/spec/securityContext/supplementalGroups").toString(),
        "packed and unpacked repeated varints both read");
    assertEquals(0, pod.at("/spec/securityContext/runAsUser").asInt(-1));
    assertEquals("ssd", pod.at("/spec/nodeSelector/disk").asText());
    assertEquals("gpu", pod.at("/spec/tolerations/0/value").asText());
    assertEquals("hi", pod.at("/metadata/annotations/note").asText());
    assertEquals(KubeJson.parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-1\","
        + "\"uid\":\"uid-1\",\"controller\":true}"), pod.at("/metadata/ownerReferences/0"));
    assertEquals("[\"example.com/cleanup\"]", pod.at("/metadata/finalizers").toString());
    convertsCleanly(Kinds.POD, pod);
  }

  @Test
  void jobNamespaceQuotaAndLease() {
    ProtoWriter jobSpec = message().varint(1, 3).varint(2, 6).varint(7, 0).varint(8, 100)
        .message(6, podTemplate("j", container("j", "busybox").string(3, "true"))
            .message(2, message().string(3, "Never")));
    JsonNode job = decode(Kinds.JOB, envelope("batch/v1", "Job",
        message().message(1, newObjectMeta("j")).message(2, jobSpec).message(3, message())));
    assertEquals(3, job.at("/spec/parallelism").asInt());
    assertEquals(6, job.at("/spec/completions").asInt());
    assertEquals(0, job.at("/spec/backoffLimit").asInt(-1), "backoffLimit 0 means no retries, not the default 6");
    assertEquals("Never", job.at("/spec/template/spec/restartPolicy").asText(), "a repeated message field is merged");
    assertEquals("[\"true\"]", job.at("/spec/template/spec/containers/0/command").toString());
    convertsCleanly(Kinds.JOB, job);

    JsonNode ns = decode(Kinds.NAMESPACE, envelope("v1", "Namespace",
        message().message(1, newObjectMeta("n2")).message(2, message()).message(3, message().string(1, ""))));
    assertEquals("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"n2\"}}", ns.toString());
    convertsCleanly(Kinds.NAMESPACE, ns);

    JsonNode quota = decode(Kinds.RESOURCE_QUOTA, envelope("v1", "ResourceQuota", message()
        .message(1, newObjectMeta("q")).message(2, message().entry(1, "pods", quantity("10").toBytes())
            .entry(1, "requests.memory", quantity("1Gi").toBytes()).entry(1, "empty", quantity("").toBytes()))));
    assertEquals("{\"pods\":\"10\",\"requests.memory\":\"1Gi\",\"empty\":\"0\"}", quota.at("/spec/hard").toString());

    // creationTimestamp (metav1.Time, seconds) and renewTime (MicroTime, with microseconds)
    ProtoWriter meta = message().string(1, "leader").message(8, message().varint(1, 1_764_248_400L));
    JsonNode lease = decode(Kinds.LEASE, envelope("coordination.k8s.io/v1", "Lease", message().message(1, meta)
        .message(2, message().string(1, "node-a").varint(2, 15)
            .message(4, message().varint(1, 1_764_248_400L).varint(2, 123_456_789)).varint(5, 0))));
    assertEquals("2025-11-27T13:00:00Z", lease.at("/metadata/creationTimestamp").asText());
    assertEquals("2025-11-27T13:00:00.123456Z", lease.at("/spec/renewTime").asText());
    assertEquals(15, lease.at("/spec/leaseDurationSeconds").asInt());
    assertEquals(0, lease.at("/spec/leaseTransitions").asInt(-1));
  }

  /** {@code kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=4}'s autoscaling/v2 object. */
  @Test
  void horizontalPodAutoscalerAsKubectlAutoscaleSendsIt() {
    ProtoWriter target = message().string(1, "Utilization").varint(4, 50);
    ProtoWriter spec = message().message(1, message().string(1, "Deployment").string(2, "web").string(3, "apps/v1"))
        .varint(2, 1).varint(3, 4).message(4, message().string(1, "Resource")
            .message(4, message().string(1, "cpu").message(2, target)));
    JsonNode hpa = decode(Kinds.HORIZONTAL_POD_AUTOSCALER, envelope("autoscaling/v2", "HorizontalPodAutoscaler",
        message().message(1, newObjectMeta("web")).message(2, spec)
            .message(3, message().varint(3, 0).varint(4, 0))));
    assertEquals("{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\",\"apiVersion\":\"apps/v1\"},"
        + "\"minReplicas\":1,\"maxReplicas\":4,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
        + "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":50}}}]}", hpa.get("spec").toString());
    convertsCleanly(Kinds.HORIZONTAL_POD_AUTOSCALER, hpa);
  }

  /**
   * kubectl v1.32's {@code kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=3}: an
   * autoscaling/v1 object, decoded with v1's message (the kind is stored as v2) and converted.
   */
  @Test
  void autoscalingV1ObjectDecodesWithTheV1Message() {
    ProtoWriter spec = message().message(1, message().string(1, "Deployment").string(2, "web").string(3, "apps/v1"))
        .varint(2, 1).varint(3, 3).varint(4, 50);
    JsonNode hpa = decode(Kinds.HORIZONTAL_POD_AUTOSCALER, envelope("autoscaling/v1", "HorizontalPodAutoscaler",
        message().message(1, newObjectMeta("web")).message(2, spec)
            .message(3, message().varint(3, 0).varint(4, 0))));
    assertEquals("autoscaling/v1", hpa.path("apiVersion").asText());
    assertEquals("{\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\",\"apiVersion\":\"apps/v1\"},"
        + "\"minReplicas\":1,\"maxReplicas\":3,\"targetCPUUtilizationPercentage\":50}", hpa.get("spec").toString());
    convertsCleanly(Kinds.HORIZONTAL_POD_AUTOSCALER, hpa);
  }

  /** The bytes kubectl v1.32 sent for {@code kubectl create secret generic s --from-literal=k=v} (its -v=8 dump). */
  @Test
  void bytesCapturedFromKubectl() {
    byte[] body = HexFormat.of().parseHex("6b38730" + "00a0c0a0276311206536563726574122f0a110a017312001a00220"
        + "02a00320038004200120" + "60a016b120176121" + "00a05746f6b656e120773336372337421" + "1a001a00220" + "0");
    JsonNode s = decode(Kinds.SECRET, body);
    assertEquals("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},"
        + "\"data\":{\"k\":\"dg==\",\"token\":\"czNjcjN0IQ==\"}}", s.toString());
  }

  @Test
  void unknownFieldNumbersAreSkippedAndNamed() {
    ProtoWriter meta = newObjectMeta("c").string(99, "future").message(98, message().varint(1, 7));
    KubernetesProtobuf.Decoded decoded = protobuf.decode(envelope("v1", "ConfigMap",
        message().message(1, meta).entry(2, "a", "b").fixed64(50, 1)), Kinds.CONFIG_MAP);
    assertEquals(List.of("metadata.<protobuf field 99 of ObjectMeta>", "metadata.<protobuf field 98 of ObjectMeta>",
        "<protobuf field 50 of ConfigMap>"), decoded.unknownFields());
    assertEquals("b", decoded.object().at("/data/a").asText(), "the rest still decodes");
    assertEquals("unknown field \"<protobuf field 50 of ConfigMap>\"", decoded.unknownFieldWarnings().get(2));
  }

  @Test
  void fieldsTheTableKnowsButTheSchemaDoesNotAreUnknownJsonFields() {
    // PodSpec.os (36) is in k8s.io/api but not in Capstan's schema: the JSON path names it.
    ProtoWriter spec = message().message(2, container("c", "busybox")).message(36, message().string(1, "linux"));
    JsonNode pod = decode(Kinds.POD, envelope("v1", "Pod", message().message(1, newObjectMeta("p")).message(2, spec)));
    assertEquals(List.of("spec.os"), KubeJson.fromJson(Kinds.POD, pod).unknownFields());
  }

  // ---- bad input: 400 naming what is wrong, 415 for kinds without a table ----

  private static ApiException rejected(int code, byte[] body, Kind kind) {
    ApiException e = assertThrows(ApiException.class, () -> KubernetesProtobuf.standard().decode(body, kind));
    assertEquals(code, e.status().code(), e.status().message());
    return e;
  }

  private static byte[] configMap() {
    return envelope("v1", "ConfigMap", message().message(1, newObjectMeta("c")).entry(2, "a", "b"));
  }

  @Test
  void wrongMagicIs400() {
    byte[] body = configMap();
    body[3] = 1;
    assertTrue(rejected(400, body, Kinds.CONFIG_MAP).status().message().contains("magic"));
    assertTrue(rejected(400, "{\"kind\":\"ConfigMap\"}".getBytes(StandardCharsets.UTF_8), Kinds.CONFIG_MAP)
        .status().message().contains("magic"), "JSON sent with the protobuf content type");
    rejected(400, new byte[] {'k', '8'}, Kinds.CONFIG_MAP);
  }

  @Test
  void truncatedBodyIs400() {
    byte[] body = configMap();
    String message = rejected(400, Arrays.copyOf(body, body.length - 3), Kinds.CONFIG_MAP).status().message();
    assertTrue(message.contains("runs past the end") || message.contains("truncated"), message);
  }

  @Test
  void malformedObjectIs400NamingTheField() {
    // ObjectMeta.name (1) sent as a varint instead of a string
    byte[] body = envelope("v1", "ConfigMap", message().message(1, message().varint(1, 5)));
    String message = rejected(400, body, Kinds.CONFIG_MAP).status().message();
    assertTrue(message.contains("metadata.name") && message.contains("wire type 0"), message);

    byte[] badUtf8 = envelope("v1", "ConfigMap", message().message(1, message().bytes(1, new byte[] {(byte) 0xc3})));
    assertTrue(rejected(400, badUtf8, Kinds.CONFIG_MAP).status().message().contains("UTF-8"));

    byte[] badVarint = envelope("v1", "ConfigMap", message().raw((byte) 0x28, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0x01));
    assertTrue(rejected(400, badVarint, Kinds.CONFIG_MAP).status().message().contains("varint"));

    byte[] group = envelope("v1", "ConfigMap", message().raw((byte) 0x4b)); // field 9, wire type 3
    assertTrue(rejected(400, group, Kinds.CONFIG_MAP).status().message().contains("group"));
  }

  @Test
  void kindMismatchAndMissingTypeMetaAre400() {
    String message = rejected(400, configMap(), Kinds.SECRET).status().message();
    assertTrue(message.contains("v1 ConfigMap") && message.contains("secrets"), message);
    assertTrue(rejected(400, envelope("v1", "", message()), Kinds.CONFIG_MAP).status().message()
        .contains("typeMeta.kind"));
    assertTrue(rejected(400, envelope("", "ConfigMap", message()), Kinds.CONFIG_MAP).status().message()
        .contains("typeMeta.apiVersion"));
  }

  @Test
  void kindsWithoutATableAre415SayingToUseJson() {
    byte[] scale = envelope("autoscaling/v1", "Scale", message().message(1, newObjectMeta("web"))
        .message(2, message().varint(1, 3)));
    String message = rejected(415, scale, Kinds.DEPLOYMENT).status().message();
    assertTrue(message.contains("autoscaling/v1 Scale") && message.contains("JSON"), message);
    rejected(415, envelope("networking.k8s.io/v1", "Ingress", message()), Kinds.CONFIG_MAP);
  }

  /** Never anything but a 400 for damaged bodies: truncations and byte flips of a real body. */
  @Test
  void damagedBodiesAreAlways400NeverACrash() {
    ProtoWriter spec = message().varint(1, 2).message(2, message().entry(1, "app", "web"))
        .message(3, podTemplate("web", container("c", "busybox").string(3, "sleep")));
    byte[] body = envelope("apps/v1", "Deployment", message().message(1, newObjectMeta("web", "app", "web"))
        .message(2, spec));
    Random random = new Random(42);
    for (int i = 0; i < 3000; i++) {
      byte[] damaged = i < body.length ? Arrays.copyOf(body, i) : body.clone();
      if (i >= body.length) {
        for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
          damaged[4 + random.nextInt(damaged.length - 4)] = (byte) random.nextInt(256);
        }
      }
      try {
        KubernetesProtobuf.Decoded decoded = protobuf.decode(damaged, Kinds.DEPLOYMENT);
        KubeJson.fromJson(Kinds.DEPLOYMENT, decoded.object()); // may still be a valid object
      } catch (ApiException e) {
        assertTrue(e.status().code() == 400 || e.status().code() == 415, e.status().toString());
      } catch (io.capstan.logschema.json.ConversionException e) {
        // a decodable body whose JSON the shared path rejects: a 400 there too
      }
    }
  }
}
