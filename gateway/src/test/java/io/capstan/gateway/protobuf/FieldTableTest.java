package io.capstan.gateway.protobuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.protobuf.FieldTable.Cardinality;
import io.capstan.gateway.protobuf.FieldTable.Field;
import io.capstan.gateway.protobuf.FieldTable.Message;
import io.capstan.gateway.protobuf.FieldTable.MessageRef;
import io.capstan.gateway.protobuf.FieldTable.Scalar;
import io.capstan.gateway.protobuf.FieldTable.WellKnown;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** The generated field table: well-known facts of k8s.io/api, and coverage of every field Capstan's schema has. */
class FieldTableTest {
  private final FieldTable table = FieldTable.kubernetes();

  private Field field(String message, int number) {
    return table.message(message).orElseThrow().fields().get(number);
  }

  @Test
  void knownFieldNumbers() {
    String meta = "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta";
    assertEquals(new Field(1, "name", Scalar.STRING, Cardinality.OPTIONAL, false, false), field(meta, 1));
    assertEquals(new Field(11, "labels", Scalar.STRING, Cardinality.MAP, false, false), field(meta, 11));
    assertEquals(new Field(8, "creationTimestamp", WellKnown.TIME, Cardinality.OPTIONAL, false, false), field(meta, 8));
    assertEquals(new Field(1, "replicas", Scalar.INT32, Cardinality.OPTIONAL, true, false),
        field("k8s.io.api.apps.v1.DeploymentSpec", 1));
    assertEquals(new Field(2, "containers", new MessageRef("k8s.io.api.core.v1.Container"), Cardinality.REPEATED,
        false, false), field("k8s.io.api.core.v1.PodSpec", 2));
    assertEquals(new Field(2, "volumeSource", new MessageRef("k8s.io.api.core.v1.VolumeSource"), Cardinality.OPTIONAL,
        false, true), field("k8s.io.api.core.v1.Volume", 2));
    assertEquals(new Field(2, "data", Scalar.BYTES, Cardinality.MAP, false, false), field("k8s.io.api.core.v1.Secret", 2));
    assertEquals(WellKnown.INTORSTRING, field("k8s.io.api.core.v1.ServicePort", 4).type());
    assertEquals(WellKnown.QUANTITY, field("k8s.io.api.core.v1.ResourceRequirements", 1).type());
    // the deprecated Go field name differs from its JSON name; the table carries the JSON name
    assertEquals("serviceAccount", field("k8s.io.api.core.v1.PodSpec", 9).jsonName());
  }

  /**
   * The kinds whose messages k8s.io/api defines: every built-in kind but CustomResourceDefinition
   * (k8s.io/apiextensions-apiserver's; its protobuf bodies are refused with 415, kubectl sends JSON).
   */
  private static final List<Kind> K8S_API_KINDS = Kinds.builtIn().stream()
      .filter(k -> k != Kinds.CUSTOM_RESOURCE_DEFINITION).toList();

  @Test
  void everyReferencedMessageIsDefinedAndEveryKindHasOne() {
    for (Kind kind : K8S_API_KINDS) {
      assertTrue(table.message(KubernetesProtobuf.messageName(kind)).isPresent(), kind.kind());
      for (String version : kind.servedVersions()) { // autoscaling/v1 HorizontalPodAutoscaler
        assertTrue(table.message(KubernetesProtobuf.messageName(kind, version)).isPresent(),
            kind.kind() + " " + version);
      }
    }
    List<String> missing = new ArrayList<>();
    for (Kind kind : K8S_API_KINDS) {
      walkMessages(table.message(KubernetesProtobuf.messageName(kind)).orElseThrow(), new HashSet<>(), missing);
    }
    assertEquals(List.of(), missing);
  }

  private void walkMessages(Message m, Set<String> seen, List<String> missing) {
    if (!seen.add(m.name())) {
      return;
    }
    for (Field f : m.fields().values()) {
      if (f.type() instanceof MessageRef ref) {
        Optional<Message> next = table.message(ref.name());
        if (next.isEmpty()) {
          missing.add(m.name() + "." + f.jsonName() + " -> " + ref.name());
        } else {
          walkMessages(next.get(), seen, missing);
        }
      }
    }
  }

  /**
   * Every field of every kind's Avro schema (the fields Capstan stores) can arrive in a protobuf
   * body: the table has a field of that JSON name, in the message at the same place.
   */
  @Test
  void everySchemaFieldHasAProtobufField() {
    List<String> missing = new ArrayList<>();
    for (Kind kind : K8S_API_KINDS) {
      Message message = table.message(KubernetesProtobuf.messageName(kind)).orElseThrow();
      compare(kind.schema(), message, kind.kind(), new HashSet<>(), missing);
    }
    assertEquals(List.of(), missing, "schema fields without a protobuf field");
  }

  private void compare(Schema record, Message message, String path, Set<String> seen, List<String> missing) {
    if (!seen.add(record.getFullName() + "/" + message.name())) {
      return;
    }
    for (Schema.Field avro : record.getFields()) {
      if (path.indexOf('.') < 0 && (avro.name().equals("apiVersion") || avro.name().equals("kind"))) {
        continue;
      }
      Optional<Field> proto = find(message, avro.name());
      if (proto.isEmpty()) {
        missing.add(path + "." + avro.name());
        continue;
      }
      Schema value = element(avro.schema());
      if (value.getType() == Schema.Type.RECORD && proto.get().type() instanceof MessageRef ref) {
        compare(value, table.message(ref.name()).orElseThrow(), path + "." + avro.name(), seen, missing);
      }
    }
  }

  /** A field by JSON name, looking through inlined embedded messages as JSON does. */
  private Optional<Field> find(Message message, String jsonName) {
    for (Field f : message.fields().values()) {
      if (f.inline() && f.type() instanceof MessageRef ref) {
        Optional<Field> inner = find(table.message(ref.name()).orElseThrow(), jsonName);
        if (inner.isPresent()) {
          return inner;
        }
      } else if (f.jsonName().equals(jsonName)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  private static Schema element(Schema s) {
    while (true) {
      switch (s.getType()) {
        case UNION -> s = s.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst().orElse(s);
        case ARRAY -> s = s.getElementType();
        case MAP -> s = s.getValueType();
        default -> {
          return s;
        }
      }
    }
  }
}
