package io.capstan.nodeagent.proxy;

import java.time.Instant;
import java.util.List;

/** A service source a test sets by hand (the informer-backed one is tested on its own). */
final class ListSource implements ServiceSource {
  private volatile List<ProxiedPort> ports;
  private volatile ChangeListener listener = (k, t) -> { };
  private volatile java.util.Map<String, String> unprogrammable = java.util.Map.of();

  ListSource(List<ProxiedPort> ports) {
    this.ports = List.copyOf(ports);
  }

  void set(List<ProxiedPort> now) {
    this.ports = List.copyOf(now);
    for (ProxiedPort p : now) {
      listener.changed(p.serviceKey(), Instant.now());
    }
  }

  /** The ports and the services left out, changed together (service keys are told as changed). */
  void set(List<ProxiedPort> now, java.util.Map<String, String> leftOut) {
    this.unprogrammable = java.util.Map.copyOf(leftOut);
    set(now);
    for (String k : leftOut.keySet()) {
      listener.changed(k, Instant.now());
    }
  }

  @Override
  public java.util.Map<String, String> unprogrammable() {
    return unprogrammable;
  }

  @Override
  public List<ProxiedPort> ports() {
    return ports;
  }

  @Override
  public boolean hasSynced() {
    return true;
  }

  @Override
  public void onChange(ChangeListener l) {
    this.listener = l;
  }
}
