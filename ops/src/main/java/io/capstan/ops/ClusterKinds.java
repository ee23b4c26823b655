package io.capstan.ops;

import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.logschema.topics.TopicLayout;
import io.capstan.stateviews.replay.Replay;
import java.util.Map;

/**
 * The custom kinds of a cluster, for a command that reads its log from a fresh process (replay,
 * audit): every established definition in the live definitions table enters this process's kind
 * registry, so {@code --kind widgets} is understood and its objects decode into their current
 * schema.
 */
final class ClusterKinds {
  private ClusterKinds() {}

  static void follow(Map<String, Object> kafka, TopicLayout layout) {
    Replay.definitions(kafka, layout, LogCodec.get()).forEach(CustomResourceDefinitions::follow);
  }
}
