package io.capstan.nodeagent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.capstan.nodeagent.runtime.runc.PodNetwork;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The node's address is the default route's interface's, never the pod network's bridge. */
class MachineInfoAddressTest {
  private static final String HEADER =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

  @Test
  void theDefaultRouteWithTheLowestMetricNamesTheInterface() {
    assertEquals(Optional.of("eth0"), MachineInfo.defaultRouteInterface(List.of(HEADER,
        "capstan0\t0000F40A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0",
        "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0",
        "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0",
        "eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0")));
    assertEquals(Optional.empty(), MachineInfo.defaultRouteInterface(List.of(HEADER,
        "capstan0\t0000F40A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0")), "no default route");
    assertEquals(Optional.empty(), MachineInfo.defaultRouteInterface(List.of(HEADER,
        "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0")), "a default route that is down");
    assertEquals(Optional.empty(), MachineInfo.defaultRouteInterface(List.of()));
  }

  @Test
  void thisMachinesAddressIsNotThePodNetworksGateway() {
    // Whether or not the bridge exists here (it does once a pod ran), it is never the node's address.
    assertNotEquals(PodNetwork.GATEWAY, MachineInfo.readInternalIp());
  }
}
