package io.capstan.nodeagent.proxy;

/** Who hears that a ruleset was refused: the node's Events in a node agent, a log line elsewhere. */
@FunctionalInterface
public interface SyncFailureReporter {
  void refused(String message);
}
