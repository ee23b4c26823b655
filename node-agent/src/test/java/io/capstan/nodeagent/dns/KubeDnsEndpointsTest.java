package io.capstan.nodeagent.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.capstan.api.EndpointAddress;
import io.capstan.api.Endpoints;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The merge of this server's address into kube-dns's Endpoints (the writes are in ClusterDnsTest). */
class KubeDnsEndpointsTest {
  static List<String> ips(Endpoints e) {
    return e.getSubsets() == null ? List.of()
        : e.getSubsets().get(0).getAddresses().stream().map(EndpointAddress::getIp).toList();
  }

  @Test
  void serversAddAndRemoveOnlyTheirOwnAddress() {
    KubeDnsEndpoints a = new KubeDnsEndpoints(null, null, "10.244.0.1", 53);
    KubeDnsEndpoints b = new KubeDnsEndpoints(null, null, "10.245.0.1", 53);
    Endpoints first = a.desired(null, true);
    assertEquals(List.of("10.244.0.1"), ips(first));
    assertEquals("kube-system", first.getMetadata().getNamespace());
    assertNull(a.desired(first, true), "already there: nothing to write");
    Endpoints both = b.desired(first, true);
    assertEquals(List.of("10.244.0.1", "10.245.0.1"), ips(both));
    assertEquals(List.of("10.245.0.1"), ips(a.desired(both, false)));
    assertNull(a.desired(b.desired(null, true), false), "not there: nothing to withdraw");
    assertEquals(List.of(), ips(b.desired(b.desired(null, true), false)), "the last one leaves no subset");
    KubeDnsEndpoints moved = new KubeDnsEndpoints(null, null, "10.244.0.1", 5353);
    assertEquals(5353, moved.desired(first, true).getSubsets().get(0).getPorts().get(0).getPort(),
        "a new port replaces the old");
  }
}
