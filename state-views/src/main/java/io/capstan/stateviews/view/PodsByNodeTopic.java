package io.capstan.stateviews.view;

import io.capstan.logschema.topics.ObjectPartitioner;
import io.capstan.logschema.topics.TopicLayout;

/**
 * The pods-by-node view topic: {@code <prefix>view.pods-by-node}, compacted. Key {@code
 * <nodeName>/<pod object key>} (e.g. {@code node-1/Pod/default/web-0}), value the pod exactly as
 * in {@code capstan.state.pod} (with its {@code capstan.rv} header), a tombstone when the pod
 * leaves the node (deleted, or bound elsewhere). The partition is chosen by the node name alone,
 * so a node's pods are all on one partition. The command processor writes it in the same
 * transaction as the pod's state record, so the view is never behind the state topic.
 */
public final class PodsByNodeTopic {
  private PodsByNodeTopic() {}

  public static String name(TopicLayout layout) {
    return layout.podsByNode();
  }

  public static String key(String nodeName, String podKey) {
    return nodeName + "/" + podKey;
  }

  /** The node name of a view key (node names never contain '/'). */
  public static String nodeOf(String viewKey) {
    int slash = viewKey.indexOf('/');
    return slash < 0 ? viewKey : viewKey.substring(0, slash);
  }

  /** The pod object key of a view key. */
  public static String podKeyOf(String viewKey) {
    return viewKey.substring(viewKey.indexOf('/') + 1);
  }

  /** The partition every record of a node goes to. */
  public static int partitionOf(String nodeName, int partitions) {
    return ObjectPartitioner.partition(nodeName, partitions);
  }
}
