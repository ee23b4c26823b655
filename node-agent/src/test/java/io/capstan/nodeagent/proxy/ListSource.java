package io.capstan.nodeagent.proxy;

import java.time.Instant;
import java.util.List;

/** A service source a test sets by hand (the informer-backed one is tested on its own). */
final class ListSource implements ServiceSource {
  private volatile List<ProxiedPort> ports;
  private volatile ChangeListener listener = (k, t) -> { };

  ListSource(List<ProxiedPort> ports) {
    this.ports = List.copyOf(ports);
  }

  void set(List<ProxiedPort> now) {
    this.ports = List.copyOf(now);
    for (ProxiedPort p : now) {
      listener.changed(p.serviceKey(), Instant.now());
    }
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
