package io.capstan.logschema.crd;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The CRDs the tests use, from test resources. */
final class CrdFixtures {
  private CrdFixtures() {}

  static String text(String resource) {
    try (InputStream in = CrdFixtures.class.getResourceAsStream("/crd/" + resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static CustomResourceDefinition widgets() {
    return crd(text("widgets.yaml"));
  }

  static CustomResourceDefinition crd(String yaml) {
    return KubeJson.<CustomResourceDefinition>fromText(Kinds.CUSTOM_RESOURCE_DEFINITION, yaml).object();
  }
}
