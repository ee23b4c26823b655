package io.capstan.nodeagent.dns;

import io.capstan.api.EndpointAddress;
import io.capstan.api.EndpointPort;
import io.capstan.api.EndpointSubset;
import io.capstan.api.Endpoints;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.client.CommandClient;
import io.capstan.logschema.client.CommandResult;
import io.capstan.stateviews.informer.Informer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes where this DNS server listens as an address of the Endpoints of the DNS Service
 * ({@code kube-system/kube-dns}, selector-less: no controller writes them), so the service proxy
 * sends the Service's ClusterIP to it. Several servers (nodes) each add their own address; a
 * server that stops removes its own.
 */
public final class KubeDnsEndpoints {
  private static final Logger log = LoggerFactory.getLogger(KubeDnsEndpoints.class);
  public static final String NAMESPACE = "kube-system";
  public static final String NAME = "kube-dns";
  static final int ATTEMPTS = 10;
  static final Duration WRITE_TIMEOUT = Duration.ofSeconds(30);

  private final CommandClient client;
  private final Informer<Endpoints> endpoints;
  private final String ip;
  private final int port;

  public KubeDnsEndpoints(CommandClient client, Informer<Endpoints> endpoints, String ip, int port) {
    this.client = client;
    this.endpoints = endpoints;
    this.ip = ip;
    this.port = port;
  }

  /** Adds this server's address (replacing an older port of the same address); retries lost races. */
  public void publish() throws InterruptedException {
    write(true);
  }

  /** Removes this server's address, best effort. */
  public void withdraw() throws InterruptedException {
    write(false);
  }

  private void write(boolean add) throws InterruptedException {
    String last = "";
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<Endpoints> current = endpoints.get(NAMESPACE, NAME);
      Endpoints desired = desired(current.orElse(null), add);
      if (desired == null) {
        return; // already as wanted
      }
      CommandResult r;
      try {
        r = (current.isPresent() ? client.update(desired) : client.create(desired))
            .get(WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        last = e.toString();
        continue;
      }
      if (r instanceof CommandResult.Accepted a) {
        endpoints.awaitApplied(a.partition(), a.resourceVersion(), WRITE_TIMEOUT);
        log.info("{} {}:{} {} the endpoints of {}/{}", add ? "published" : "withdrew", ip, port,
            add ? "in" : "from", NAMESPACE, NAME);
        return;
      }
      CommandResult.Rejected rej = (CommandResult.Rejected) r;
      last = rej.status().getCode() + " " + rej.status().getMessage();
      if (rej.status().getCode() != 409) {
        break;
      }
      // a conflict: someone else wrote first; read their write and merge again
      if (rej.partition() >= 0) {
        endpoints.awaitApplied(rej.partition(), rej.resourceVersion(), WRITE_TIMEOUT);
      }
    }
    String msg = "cannot " + (add ? "publish " : "withdraw ") + ip + ":" + port + " in the endpoints of " + NAMESPACE
        + "/" + NAME + ": " + last;
    if (add) {
      throw new IllegalStateException(msg);
    }
    log.warn(msg);
  }

  /** The Endpoints with this address added or removed, or null when nothing changes. */
  Endpoints desired(Endpoints current, boolean add) {
    List<EndpointAddress> others = new ArrayList<>();
    boolean mine = false; // this address is in them
    boolean exact = false; // ... in the one subset, with this port
    if (current != null && current.getSubsets() != null) {
      for (EndpointSubset s : current.getSubsets()) {
        boolean samePort = s.getPorts() != null && s.getPorts().stream().anyMatch(p -> p.getPort() == port);
        for (EndpointAddress a : s.getAddresses() == null ? List.<EndpointAddress>of() : s.getAddresses()) {
          if (a.getIp().equals(ip)) {
            mine = true;
            exact |= samePort && current.getSubsets().size() == 1;
          } else if (others.stream().noneMatch(o -> o.getIp().equals(a.getIp()))) {
            others.add(a);
          }
        }
      }
    }
    if (add ? exact : !mine) {
      return null;
    }
    List<EndpointAddress> addresses = new ArrayList<>(others);
    if (add) {
      addresses.add(EndpointAddress.newBuilder().setIp(ip).build());
    }
    addresses.sort(java.util.Comparator.comparing(EndpointAddress::getIp));
    List<EndpointSubset> subsets = addresses.isEmpty() ? null : List.of(EndpointSubset.newBuilder()
        .setAddresses(addresses)
        .setPorts(List.of(
            EndpointPort.newBuilder().setName("dns").setPort(port).setProtocol("UDP").build(),
            EndpointPort.newBuilder().setName("dns-tcp").setPort(port).setProtocol("TCP").build()))
        .build());
    ObjectMeta meta = current != null ? ObjectMeta.newBuilder(current.getMetadata()).build()
        : ObjectMeta.newBuilder().setNamespace(NAMESPACE).setName(NAME)
            .setLabels(java.util.Map.of("k8s-app", "kube-dns")).build();
    return Endpoints.newBuilder().setMetadata(meta).setSubsets(subsets).build();
  }
}
