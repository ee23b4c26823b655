package io.capstan.stateviews.processor;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.kinds.ObjectKey;
import org.apache.avro.generic.IndexedRecord;

/**
 * Keeps a copy of the CustomResourceDefinition table in every processor instance (a global
 * store, as {@link NamespaceMirror}) and keeps the kind registry in step with it: an established
 * definition's kind is registered, a removed definition's kind leaves. So a command for a custom
 * object is understood on every partition, whichever partition its definition lives on.
 */
final class CustomKindMirror extends DecodingMirror {
  CustomKindMirror(String storeName) {
    super(storeName, "definition");
  }

  @Override
  void followed(String key, IndexedRecord object) {
    if (object instanceof CustomResourceDefinition crd) {
      DefinitionEstablisher.register(crd);
    }
  }

  @Override
  void forgotten(String key) {
    CustomResourceDefinitions.unfollow(ObjectKey.parse(key).name());
  }
}
