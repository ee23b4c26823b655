package io.capstan.logschema.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.Manifests;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.validation.ObjectValidator;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every realistic manifest survives YAML → Avro → JSON, Avro binary, and is valid. */
class ManifestRoundTripTest {

  static List<String> manifests() {
    return Manifests.FILES;
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void roundTripsThroughAvroAndJson(String file) {
    List<JsonNode> docs = KubeJson.parseAll(Manifests.text(file));
    assertFalse(docs.isEmpty());
    for (JsonNode doc : docs) {
      Kind kind = KubeJson.kindOf(doc);
      Converted<SpecificRecord> converted = KubeJson.fromJson(doc);
      assertEquals(List.of(), converted.unknownFields(), file + ": unknown fields");

      JsonNode back = KubeJson.toJson(converted.object());
      assertEquals(Manifests.withoutNulls(doc), back, file + ": JSON after the round trip");
      // Deterministic text, apiVersion and kind first.
      String text = KubeJson.toJsonString(converted.object());
      assertEquals(text, KubeJson.toJsonString(KubeJson.fromJson(KubeJson.parse(text)).object()));
      assertEquals("{\"apiVersion\":\"" + kind.apiVersion() + "\",\"kind\":\"" + kind.kind() + "\"",
          text.substring(0, text.indexOf(",\"", text.indexOf(",\"") + 1)));

      byte[] bytes = LogCodec.get().encode(converted.object());
      SpecificRecord decoded = LogCodec.get().decode(bytes);
      assertEquals(converted.object(), decoded, file + ": Avro binary round trip");
      assertEquals(back, KubeJson.toJson(decoded), file + ": JSON of the decoded record");

      assertEquals(List.of(), ObjectValidator.validate(kind, converted.object()), file + ": validation");
    }
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void yamlOutputParsesBackToTheSameObject(String file) {
    for (JsonNode doc : KubeJson.parseAll(Manifests.text(file))) {
      SpecificRecord object = KubeJson.<SpecificRecord>fromJson(doc).object();
      String yaml = KubeJson.toYamlString(object);
      assertEquals(object, KubeJson.fromJson(KubeJson.parse(yaml)).object(), file + " as YAML:\n" + yaml);
    }
  }
}
