package io.capstan.logschema.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.api.ConfigMap;
import io.capstan.api.Deployment;
import io.capstan.api.Pod;
import io.capstan.api.Secret;
import io.capstan.api.Service;
import io.capstan.logschema.kinds.Kinds;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class KubeJsonTest {

  private static <T extends org.apache.avro.specific.SpecificRecord> Converted<T> convert(
      io.capstan.logschema.kinds.Kind kind, String text) {
    return KubeJson.fromJson(kind, KubeJson.parse(text));
  }

  @Test
  void unknownFieldsAreSkippedAndReportedWithTheirPaths() {
    Converted<Pod> c = convert(Kinds.POD, """
        apiVersion: v1
        kind: Pod
        metadata: {name: p, colour: blue}
        spec:
          containers:
            - name: app
              image: nginx
              imagePullPolcy: Always
        extra: 1
        """);
    assertEquals(List.of("metadata.colour", "spec.containers[0].imagePullPolcy", "extra"), c.unknownFields());
    assertEquals(List.of("unknown field \"metadata.colour\"", "unknown field \"spec.containers[0].imagePullPolcy\"",
        "unknown field \"extra\""), c.unknownFieldWarnings());
    assertEquals("nginx", c.object().getSpec().getContainers().get(0).getImage());
    assertNull(c.object().getSpec().getContainers().get(0).getImagePullPolicy());
  }

  @Test
  void aClaimTemplateMaySayWhatItIsAndAlwaysDoesOnOutput() {
    Converted<io.capstan.api.StatefulSet> c = convert(Kinds.STATEFUL_SET, """
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec: {containers: [{name: db, image: busybox}]}
          volumeClaimTemplates:
            - apiVersion: v1
              kind: PersistentVolumeClaim
              metadata: {name: data}
              spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
            - metadata: {name: logs, colour: blue}
              spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
        """);
    // apiVersion and kind of an embedded claim are its type, not unknown fields; other extras still are
    assertEquals(List.of("spec.volumeClaimTemplates[1].metadata.colour"), c.unknownFields());
    JsonNode out = KubeJson.toJson(c.object());
    for (JsonNode t : out.path("spec").path("volumeClaimTemplates")) {
      assertEquals("v1", t.path("apiVersion").asText(), t.toString());
      assertEquals("PersistentVolumeClaim", t.path("kind").asText(), t.toString());
    }
    assertEquals(2, out.path("spec").path("volumeClaimTemplates").size());
    // the pod template is not a kind's object: nothing is added to it
    assertTrue(out.path("spec").path("template").path("apiVersion").isMissingNode());
  }

  @Test
  void wrongTypesNameThePath() {
    ConversionException e = assertThrows(ConversionException.class, () -> convert(Kinds.DEPLOYMENT,
        "{\"spec\":{\"replicas\":\"three\"}}"));
    assertEquals("spec.replicas: expected integer, got string \"three\"", e.getMessage());
    assertEquals("spec.replicas", e.path());

    e = assertThrows(ConversionException.class, () -> convert(Kinds.POD,
        "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80.5}]}]}}"));
    assertEquals("spec.containers[0].ports[0].containerPort: expected integer, got number 80.5", e.getMessage());

    e = assertThrows(ConversionException.class, () -> convert(Kinds.POD,
        "{\"metadata\":{\"labels\":{\"app\":7}}}"));
    assertEquals("metadata.labels.app: expected string, got number 7", e.getMessage());

    e = assertThrows(ConversionException.class, () -> convert(Kinds.POD, "{\"spec\":{\"hostNetwork\":\"yes\"}}"));
    assertEquals("spec.hostNetwork: expected boolean, got string \"yes\"", e.getMessage());

    e = assertThrows(ConversionException.class, () -> convert(Kinds.POD, "{\"spec\":{\"containers\":{}}}"));
    assertEquals("spec.containers: expected array, got object", e.getMessage());

    e = assertThrows(ConversionException.class, () -> convert(Kinds.POD, "{\"spec\":[]}"));
    assertEquals("spec: expected object, got array", e.getMessage());
  }

  @Test
  void integersAreRangeCheckedAndWidened() {
    ConversionException e = assertThrows(ConversionException.class, () -> convert(Kinds.DEPLOYMENT,
        "{\"spec\":{\"replicas\":3000000000}}"));
    assertEquals("spec.replicas: value 3000000000 is out of range for a 32-bit integer", e.getMessage());
    // An int-sized JSON number fills a long field; a long one too.
    Converted<Pod> c = convert(Kinds.POD, "{\"spec\":{\"activeDeadlineSeconds\":5,"
        + "\"terminationGracePeriodSeconds\":9000000000,\"containers\":[]}}");
    assertEquals(5L, c.object().getSpec().getActiveDeadlineSeconds());
    assertEquals(9_000_000_000L, c.object().getSpec().getTerminationGracePeriodSeconds());
    assertEquals(9_000_000_000L, KubeJson.toJson(c.object()).at("/spec/terminationGracePeriodSeconds").longValue());
  }

  @Test
  void intOrStringKeepsTheBranchTheJsonUsed() {
    Converted<Service> c = convert(Kinds.SERVICE, """
        spec:
          ports:
            - {port: 80, targetPort: 8080}
            - {port: 81, targetPort: http}
            - {port: 82, targetPort: "8082"}
        """);
    var ports = c.object().getSpec().getPorts();
    assertEquals(8080, ports.get(0).getTargetPort());
    assertEquals("http", ports.get(1).getTargetPort());
    assertEquals("8082", ports.get(2).getTargetPort());
    JsonNode back = KubeJson.toJson(c.object());
    assertTrue(back.at("/spec/ports/0/targetPort").isInt());
    assertTrue(back.at("/spec/ports/2/targetPort").isTextual());

    ConversionException e = assertThrows(ConversionException.class, () -> convert(Kinds.SERVICE,
        "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":true}]}}"));
    assertEquals("spec.ports[0].targetPort: expected integer or string, got boolean true", e.getMessage());
  }

  @Test
  void numericQuantitiesBecomeTheirDecimalText() {
    Converted<Pod> c = convert(Kinds.POD, """
        spec:
          containers:
            - name: a
              image: x
              resources:
                requests: {cpu: 0.5, memory: 1000}
                limits: {cpu: 1, memory: 1.50}
        """);
    var r = c.object().getSpec().getContainers().get(0).getResources();
    assertEquals("0.5", r.getRequests().get("cpu"));
    assertEquals("1000", r.getRequests().get("memory"));
    assertEquals("1", r.getLimits().get("cpu"));
    assertEquals("1.5", r.getLimits().get("memory"));
    // Only quantity fields accept numbers for strings.
    assertThrows(ConversionException.class, () -> convert(Kinds.POD, "{\"spec\":{\"nodeName\":1}}"));
  }

  @Test
  void bytesAreBase64() {
    Converted<Secret> c = convert(Kinds.SECRET, "{\"data\":{\"password\":\"czNjcjN0\"}}");
    ByteBuffer b = c.object().getData().get("password");
    assertEquals("s3cr3t", StandardCharsets.UTF_8.decode(b.duplicate()).toString());
    assertEquals("czNjcjN0", KubeJson.toJson(c.object()).at("/data/password").textValue());

    ConversionException e = assertThrows(ConversionException.class,
        () -> convert(Kinds.SECRET, "{\"data\":{\"password\":\"not base64!\"}}"));
    assertTrue(e.getMessage().startsWith("data.password: illegal base64 data"), e.getMessage());
  }

  @Test
  void nullsAndAbsentFieldsStayAbsentAndEmptyStaysEmpty() {
    Converted<ConfigMap> c = convert(Kinds.CONFIG_MAP, "{\"metadata\":{\"name\":\"c\",\"labels\":null},\"data\":{}}");
    assertNull(c.object().getMetadata().getLabels());
    assertNull(c.object().getBinaryData());
    assertEquals(0, c.object().getData().size());
    assertEquals(KubeJson.parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{}}"),
        KubeJson.toJson(c.object()));
  }

  @Test
  void requiredFieldsMissingFromJsonGetZeroValuesForValidationToReport() {
    Converted<Deployment> c = convert(Kinds.DEPLOYMENT, "{\"metadata\":{\"name\":\"d\"},\"spec\":{}}");
    assertEquals(0, c.object().getSpec().getTemplate().getMetadata() == null ? 0 : 1);
    assertTrue(c.object().getSpec().getSelector().getMatchLabels() == null);
    Converted<Pod> p = convert(Kinds.POD, "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}");
    assertEquals("", p.object().getSpec().getContainers().get(0).getName());
  }

  @Test
  void apiVersionAndKindMustMatchAndAreNotStored() {
    ConversionException e = assertThrows(ConversionException.class,
        () -> convert(Kinds.POD, "{\"apiVersion\":\"v1\",\"kind\":\"Service\"}"));
    assertEquals("kind: expected \"Pod\", got string \"Service\"", e.getMessage());
    e = assertThrows(ConversionException.class,
        () -> convert(Kinds.DEPLOYMENT, "{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Deployment\"}"));
    assertEquals("apiVersion", e.path());
    // Absent is fine: the URL says what it is.
    assertEquals(List.of(), convert(Kinds.POD, "{\"metadata\":{\"name\":\"p\"}}").unknownFields());
  }

  @Test
  void aJsonDocumentWithAnythingAfterItsValueIsRejected() {
    for (String trailing : List.of("}", "]", ",", "{}", "x", "{\"a\":1}", "\"")) {
      ConversionException e = assertThrows(ConversionException.class,
          () -> KubeJson.parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}" + trailing), trailing);
      assertTrue(e.getMessage().startsWith("cannot parse document"), e.getMessage());
    }
    assertEquals("ConfigMap", KubeJson.parse("  {\"kind\":\"ConfigMap\"} \n\t").path("kind").asText(),
        "trailing white space is fine");
  }

  @Test
  void findsTheKindOfAManifest() {
    assertEquals(Kinds.DEPLOYMENT, KubeJson.kindOf(KubeJson.parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}")));
    assertEquals(Kinds.LEASE, KubeJson.findKind(
        KubeJson.parse("apiVersion: coordination.k8s.io/v1\nkind: Lease")).orElseThrow());
    assertTrue(KubeJson.findKind(KubeJson.parse("{\"apiVersion\":\"v1\",\"kind\":\"Deployment\"}")).isEmpty());
    ConversionException e = assertThrows(ConversionException.class,
        () -> KubeJson.kindOf(KubeJson.parse("{\"apiVersion\":\"v1\",\"kind\":\"Widget\"}")));
    assertEquals("no kind \"Widget\" is registered for version \"v1\"", e.getMessage());
    assertEquals("kind", assertThrows(ConversionException.class,
        () -> KubeJson.kindOf(KubeJson.parse("{\"apiVersion\":\"v1\"}"))).path());
  }

  @Test
  void parsesMultiDocumentYamlAndRejectsBadText() {
    List<JsonNode> docs = KubeJson.parseAll("---\na: 1\n---\n---\nb: 2\n");
    assertEquals(2, docs.size());
    assertThrows(ConversionException.class, () -> KubeJson.parse("a: 1\n---\nb: 2\n"));
    assertThrows(ConversionException.class, () -> KubeJson.parse("{\"a\": 1, \"a\": 2}"));
    assertThrows(ConversionException.class, () -> KubeJson.parse("{\"a\": "));
    assertThrows(ConversionException.class, () -> KubeJson.parse("a: [1, 2"));
  }

  @Test
  void valueConversionWorksOnPartsOfTheModel() {
    var schema = io.capstan.api.Container.getClassSchema();
    Converted<Object> c = KubeJson.valueFromJson(schema, KubeJson.parse("{\"name\":\"a\",\"bogus\":1}"),
        "spec.containers[3]");
    assertEquals(List.of("spec.containers[3].bogus"), c.unknownFields());
    assertEquals(KubeJson.parse("{\"name\":\"a\"}"), KubeJson.valueToJson(schema, c.object()));
  }
}
