package io.capstan.stateviews.processor.services;

import io.capstan.api.Service;
import io.capstan.api.ServicePort;
import io.capstan.api.ServiceSpec;
import io.capstan.log.AllocationStep;
import io.capstan.log.AllocationStepOp;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.ErrorStatus;
import io.capstan.log.QuotaStepOp;
import io.capstan.logschema.defaults.ServiceDefaults;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.logschema.validation.FieldError;
import io.capstan.stateviews.processor.quota.QuotaCommands;
import io.capstan.stateviews.processor.rules.StatusErrors;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The decisions of Service address allocation (see the package description): at a Service's
 * partition, what a create or update keeps, must have allocated, or is refused for
 * ({@link #plan}), and what it releases; at the ledger's partition, what a step does
 * ({@link #step}).
 */
public final class ServiceAllocation {
  /** The ledger lives with the key of the {@code kubernetes} Service, whose address it hands out first. */
  public static final String LEDGER_NAMESPACE = "default";
  public static final String LEDGER_NAME = "kubernetes";
  /** The actor of the processor's own release steps. */
  public static final String ACTOR = "system:capstan:service-allocation";
  private static final String HEADLESS = "None";
  private static final String CLUSTER_IPS = "spec.clusterIPs";

  private final ServiceNetwork net;
  private final AddressLedger ledger;

  /** @param ledger the task's ledger store; used only on the partition of {@link #ledgerKey()} */
  public ServiceAllocation(ServiceNetwork net, AddressLedger ledger) {
    this.net = net;
    this.ledger = ledger;
  }

  /** A command for another key, to go out on {@code capstan.commands} in this transaction. */
  public record Forward(String key, Command command) {}

  public static String ledgerKey() {
    return new ObjectKey(Kinds.SERVICE.kind(), LEDGER_NAMESPACE, LEDGER_NAME).toString();
  }

  /** Whether the command is a step for the ledger (ALLOCATE or RELEASE). */
  public static boolean isLedgerStep(Command cmd) {
    return cmd.getAllocation() != null && (cmd.getAllocation().getOp() == AllocationStepOp.ALLOCATE
        || cmd.getAllocation().getOp() == AllocationStepOp.RELEASE);
  }

  /** Whether the command is a Service write whose addresses are reserved already. */
  public static boolean isAllocated(Command cmd) {
    return cmd.getAllocation() != null && cmd.getAllocation().getOp() == AllocationStepOp.ALLOCATED;
  }

  // ---- at the Service's partition ----

  /** What a Service write needs before it can be stored. */
  public sealed interface Plan {
    /** Nothing to reserve: store it as it is now. */
    record Ready() implements Plan {}

    /** Refused, 422. */
    record Invalid(List<FieldError> errors) implements Plan {}

    /**
     * Reserve these first.
     *
     * @param clusterIP null for none, "" for any free address, else this one
     * @param nodePorts per {@code spec.ports} index: -1 for none, 0 for any free port, else this one
     */
    record Allocate(String clusterIP, List<Integer> nodePorts) implements Plan {}
  }

  /**
   * Prepares {@code after} (a create when {@code before} is null) as the service registry does
   * before it allocates: {@code clusterIP} and {@code clusterIPs} agree, an update that omits the
   * cluster IP or a port's node port keeps the stored one, ExternalName Services hold no address;
   * then says what is still to be reserved.
   */
  public Plan plan(Service before, Service after) {
    return plan(before, after, null);
  }

  /** @param reserved the step whose addresses the ledger reserved for this write already, or null */
  public Plan plan(Service before, Service after, AllocationStep reserved) {
    ServiceSpec spec = after.getSpec();
    if (spec == null) {
      return new Plan.Ready(); // validation has refused it
    }
    ServiceSpec old = before == null ? null : before.getSpec();
    String type = typeOf(spec);
    List<FieldError> errors = new ArrayList<>();

    List<String> ips = spec.getClusterIPs() == null ? List.of() : spec.getClusterIPs();
    String ip = blank(spec.getClusterIP()) ? null : spec.getClusterIP();
    if (ip == null && !ips.isEmpty()) {
      ip = ips.get(0);
    } else if (ip != null && !ips.isEmpty() && !ips.get(0).equals(ip)) {
      errors.add(invalidList(CLUSTER_IPS + "[0]", ips, "first value must match `clusterIP`"));
    }
    if (ips.size() > 1) {
      errors.add(invalidList(CLUSTER_IPS, ips, "this cluster is single-stack IPv4: a Service has at most one cluster IP"));
    }
    String oldIp = old == null || ServiceDefaults.EXTERNAL_NAME.equals(typeOf(old)) || blank(old.getClusterIP())
        ? null : old.getClusterIP();
    String ipRequest = null;
    if (ServiceDefaults.EXTERNAL_NAME.equals(type)) {
      if (ip != null && !ip.equals(oldIp)) {
        errors.add(FieldError.forbidden(CLUSTER_IPS, "may not be set for ExternalName services"));
      }
      // A type change to ExternalName gives the address back (dropTypeDependentFields).
      spec.setClusterIP(null);
      spec.setClusterIPs(null);
      spec.setIpFamilies(null);
      spec.setIpFamilyPolicy(null);
    } else {
      if (oldIp != null) {
        if (ip == null) {
          ip = oldIp; // an update that omits it keeps it
        } else if (!ip.equals(oldIp)) {
          errors.add(invalidList(CLUSTER_IPS + "[0]", List.of(ip), "may not change once set"));
        }
      }
      String reservedIp = reserved == null ? null : reserved.getAllocatedIP();
      if (ip == null) {
        ipRequest = "";
      } else if (!HEADLESS.equals(ip) && !ip.equals(oldIp) && !ip.equals(reservedIp)) {
        if (ServiceNetwork.parseIpv4(ip) < 0) {
          errors.add(FieldError.invalid(CLUSTER_IPS + "[0]", ip, "must be a valid IPv4 address (this cluster is single-stack IPv4)"));
        } else if (!net.allocatable(ip)) {
          errors.add(invalidList(CLUSTER_IPS, List.of(ip), "failed to allocate IP " + ip + ": the provided IP (" + ip
              + ") is not in the valid range. The range of valid IPs is " + net.cidr()));
        } else {
          ipRequest = ip;
        }
      }
      spec.setClusterIP(ip);
      spec.setClusterIPs(ip == null ? null : new ArrayList<>(List.of(ip)));
    }

    List<ServicePort> ports = spec.getPorts() == null ? List.of() : spec.getPorts();
    boolean nodePorts = ServiceDefaults.NODE_PORT.equals(type) || ServiceDefaults.LOAD_BALANCER.equals(type);
    boolean allocatePorts = ServiceDefaults.NODE_PORT.equals(type)
        || (ServiceDefaults.LOAD_BALANCER.equals(type) && !Boolean.FALSE.equals(spec.getAllocateLoadBalancerNodePorts()));
    Set<Integer> held = new HashSet<>(before == null ? Set.of() : heldPorts(before));
    if (reserved != null) {
      held.addAll(reserved.getAllocatedPorts());
    }
    boolean keepOld = old != null && (ServiceDefaults.NODE_PORT.equals(typeOf(old))
        || ServiceDefaults.LOAD_BALANCER.equals(typeOf(old)));
    List<Integer> portRequests = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      ServicePort p = ports.get(i);
      Integer np = p.getNodePort() == null || p.getNodePort() == 0 ? null : p.getNodePort();
      if (np == null && nodePorts && keepOld) {
        np = oldNodePort(old, p); // an update that omits it keeps it
      }
      if (np == null) {
        p.setNodePort(null);
        portRequests.add(nodePorts && allocatePorts ? 0 : -1);
        continue;
      }
      p.setNodePort(np);
      String path = "spec.ports[" + i + "].nodePort";
      if (!seen.add(np + "/" + protocolOf(p))) {
        errors.add(FieldError.duplicate(path, np));
      }
      if (!nodePorts || held.contains(np)) {
        portRequests.add(-1); // validation refuses node ports of other types; held ones stay
      } else if (!net.nodePortInRange(np)) {
        errors.add(FieldError.invalid(path, np, "provided port is not in the valid range. The range of valid ports is "
            + net.nodePortRange()));
        portRequests.add(-1);
      } else {
        portRequests.add(np);
      }
    }
    if (!errors.isEmpty()) {
      return new Plan.Invalid(errors);
    }
    if (ipRequest == null && portRequests.stream().allMatch(r -> r < 0)) {
      return new Plan.Ready();
    }
    return new Plan.Allocate(ipRequest, portRequests);
  }

  /** The step that asks the ledger for a plan's addresses, for the Service with this uid. */
  public Forward allocate(Command cmd, Plan.Allocate plan, String uid) {
    AllocationStep s = new AllocationStep(AllocationStepOp.ALLOCATE, cmd.getNamespace(), cmd.getName(), uid,
        cmd.getOp(), plan.clusterIP(), new ArrayList<>(plan.nodePorts()), null, new ArrayList<>());
    Command c = Command.newBuilder(cmd).setOp(CommandOp.UPDATE_STATUS).setKind(Kinds.SERVICE.kind())
        .setNamespace(LEDGER_NAMESPACE).setName(LEDGER_NAME).setAllocation(s).build();
    return new Forward(ledgerKey(), c);
  }

  /** Writes what the ledger reserved into the Service (which {@link #plan} then finds Ready). */
  public static void fill(Service after, AllocationStep s) {
    ServiceSpec spec = after.getSpec();
    if (spec == null) {
      return;
    }
    if (s.getAllocatedIP() != null) {
      spec.setClusterIP(s.getAllocatedIP());
      spec.setClusterIPs(new ArrayList<>(List.of(s.getAllocatedIP())));
    }
    List<ServicePort> ports = spec.getPorts() == null ? List.of() : spec.getPorts();
    for (int i = 0; i < ports.size() && i < s.getAllocatedPorts().size(); i++) {
      if (s.getAllocatedPorts().get(i) > 0) {
        ports.get(i).setNodePort(s.getAllocatedPorts().get(i));
      }
    }
  }

  /** What a stored Service no longer holds after a write ({@code after} null: it was removed). */
  public List<Forward> releaseDropped(String namespace, String name, Service before, Service after) {
    if (before == null) {
      return List.of();
    }
    String ip = heldIp(before);
    if (ip != null && after != null && ip.equals(heldIp(after))) {
      ip = null;
    }
    Set<Integer> ports = new LinkedHashSet<>(heldPorts(before));
    if (after != null) {
      ports.removeAll(heldPorts(after));
    }
    if (ip == null && ports.isEmpty()) {
      return List.of();
    }
    return List.of(release(namespace, name, before.getMetadata().getUid(), ip, new ArrayList<>(ports)));
  }

  /** Gives back what an ALLOCATED step reserved, when its write was refused after all. */
  public static Forward undo(Command allocated) {
    AllocationStep s = allocated.getAllocation();
    List<Integer> ports = s.getAllocatedPorts().stream().filter(p -> p > 0).collect(Collectors.toList());
    return release(s.getServiceNamespace(), s.getServiceName(), s.getServiceUid(), s.getAllocatedIP(), ports);
  }

  static Forward release(String namespace, String name, String uid, String ip, List<Integer> ports) {
    AllocationStep s = new AllocationStep(AllocationStepOp.RELEASE, namespace, name, uid == null ? "" : uid,
        CommandOp.DELETE, null, new ArrayList<>(), ip, new ArrayList<>(ports));
    Command c = Command.newBuilder()
        .setRequestId("alloc-release-" + UUID.randomUUID()).setClientId("").setOp(CommandOp.UPDATE_STATUS)
        .setKind(Kinds.SERVICE.kind()).setNamespace(LEDGER_NAMESPACE).setName(LEDGER_NAME).setActor(ACTOR)
        .setSentAtMicros(System.currentTimeMillis() * 1000).setAllocation(s).build();
    return new Forward(ledgerKey(), c);
  }

  // ---- at the ledger's partition ----

  /**
   * What a ledger step did.
   *
   * @param refusal the Status for the waiting client of a refused allocation, or null
   */
  public record StepResult(List<Forward> forwards, ErrorStatus refusal, String result) {}

  public StepResult step(Command cmd) {
    AllocationStep s = cmd.getAllocation();
    return switch (s.getOp()) {
      case ALLOCATE -> allocateStep(cmd, s);
      case RELEASE -> releaseStep(s);
      case ALLOCATED, UNKNOWN -> new StepResult(List.of(), StatusErrors.badRequest("allocation step " + s.getOp()
          + " cannot be addressed to the address ledger"), "BadRequest");
    };
  }

  private StepResult allocateStep(Command cmd, AllocationStep s) {
    AddressLedger.Holder me = new AddressLedger.Holder(s.getServiceNamespace() + "/" + s.getServiceName(),
        s.getServiceUid());
    List<FieldError> errors = new ArrayList<>();
    String ip = null;
    if (s.getClusterIP() != null) {
      if (s.getClusterIP().isEmpty()) {
        ip = pickIp();
        if (ip == null) {
          return refuse(cmd, s, StatusErrors.internal("failed to allocate a serviceIP: range is full"), "range_full");
        }
      } else {
        AddressLedger.Holder h = ledger.ip(s.getClusterIP());
        if (h != null && !h.uid().equals(me.uid())) {
          errors.add(invalidList(CLUSTER_IPS, List.of(s.getClusterIP()), "failed to allocate IP " + s.getClusterIP()
              + ": provided IP is already allocated"));
        } else {
          ip = s.getClusterIP();
        }
      }
    }
    List<Integer> got = new ArrayList<>();
    Set<Integer> picked = new HashSet<>();
    for (int i = 0; i < s.getNodePorts().size(); i++) {
      int r = s.getNodePorts().get(i);
      if (r < 0) {
        got.add(0);
      } else if (r == 0) {
        Integer p = pickPort(picked);
        if (p == null) {
          return refuse(cmd, s, StatusErrors.internal("failed to allocate a nodePort: range is full"), "range_full");
        }
        picked.add(p);
        got.add(p);
      } else {
        AddressLedger.Holder h = ledger.port(r);
        if (h != null && !h.uid().equals(me.uid())) {
          errors.add(FieldError.invalid("spec.ports[" + i + "].nodePort", r, "provided port is already allocated"));
        }
        picked.add(r);
        got.add(r);
      }
    }
    if (!errors.isEmpty()) {
      return refuse(cmd, s, StatusErrors.invalid(Kinds.SERVICE, s.getServiceName(), errors), "Invalid");
    }
    if (ip != null) {
      ledger.holdIp(ip, me);
    }
    for (int p : got) {
      if (p > 0) {
        ledger.holdPort(p, me);
      }
    }
    AllocationStep back = AllocationStep.newBuilder(s).setOp(AllocationStepOp.ALLOCATED).setAllocatedIP(ip)
        .setAllocatedPorts(got).build();
    Command write = Command.newBuilder(cmd).setOp(s.getServiceOp()).setKind(Kinds.SERVICE.kind())
        .setNamespace(s.getServiceNamespace()).setName(s.getServiceName()).setAllocation(back).build();
    String key = new ObjectKey(Kinds.SERVICE.kind(), s.getServiceNamespace(), s.getServiceName()).toString();
    return new StepResult(List.of(new Forward(key, write)), null, "allocated");
  }

  /** The client hears why; quotas charged for this create get their charges back. */
  private StepResult refuse(Command cmd, AllocationStep s, ErrorStatus status, String result) {
    List<Forward> out = new ArrayList<>();
    if (cmd.getQuota() != null && cmd.getQuota().getOp() == QuotaStepOp.CREATE_CHARGED) {
      for (String q : cmd.getQuota().getCharged()) {
        Command c = QuotaCommands.release(s.getServiceNamespace(), q, Kinds.SERVICE.kind(), s.getServiceName(),
            cmd.getQuota().getObjectUid(), ACTOR);
        out.add(new Forward(QuotaCommands.quotaKey(s.getServiceNamespace(), q), c));
      }
    }
    return new StepResult(out, status, result);
  }

  private StepResult releaseStep(AllocationStep s) {
    int freed = 0;
    if (s.getAllocatedIP() != null) {
      AddressLedger.Holder h = ledger.ip(s.getAllocatedIP());
      if (h != null && (s.getServiceUid().isEmpty() || h.uid().equals(s.getServiceUid()))) {
        ledger.freeIp(s.getAllocatedIP());
        freed++;
      }
    }
    for (int p : s.getAllocatedPorts()) {
      AddressLedger.Holder h = ledger.port(p);
      if (h != null && (s.getServiceUid().isEmpty() || h.uid().equals(s.getServiceUid()))) {
        ledger.freePort(p);
        freed++;
      }
    }
    return new StepResult(List.of(), null, freed > 0 ? "released" : "unchanged");
  }

  /**
   * The next free address after the cursor, walking the dynamic band first and then the static
   * one (never the network, broadcast, {@code kubernetes} or DNS address).
   */
  private String pickIp() {
    long size = net.size();
    long first = 1;
    long last = size - 2;
    long count = last - first + 1;
    long start = ledger.ipCursorOr(net.ipDynamicStart());
    if (start < first || start > last) {
      start = first;
    }
    for (long n = 0; n < count; n++) {
      long off = first + (start - first + n) % count;
      if (off == 1 || off == ServiceNetwork.DNS_OFFSET) {
        continue;
      }
      String a = net.address(off);
      if (ledger.ip(a) == null) {
        ledger.moveIpCursor(off + 1 > last ? first : off + 1);
        return a;
      }
    }
    return null;
  }

  private Integer pickPort(Set<Integer> picked) {
    int min = net.nodePortMin();
    int count = net.nodePortMax() - min + 1;
    int start = ledger.portCursorOr(net.portDynamicStart());
    if (start < min || start > net.nodePortMax()) {
      start = min;
    }
    for (int n = 0; n < count; n++) {
      int p = min + (start - min + n) % count;
      if (!picked.contains(p) && ledger.port(p) == null) {
        ledger.movePortCursor(p + 1 > net.nodePortMax() ? min : p + 1);
        return p;
      }
    }
    return null;
  }

  // ---- helpers ----

  /** The cluster IP a stored Service holds, or null (headless, ExternalName, none). */
  static String heldIp(Service s) {
    ServiceSpec spec = s.getSpec();
    if (spec == null || ServiceDefaults.EXTERNAL_NAME.equals(typeOf(spec)) || blank(spec.getClusterIP())
        || HEADLESS.equals(spec.getClusterIP())) {
      return null;
    }
    return spec.getClusterIP();
  }

  static Set<Integer> heldPorts(Service s) {
    Set<Integer> out = new LinkedHashSet<>();
    if (s.getSpec() != null && s.getSpec().getPorts() != null) {
      for (ServicePort p : s.getSpec().getPorts()) {
        if (p.getNodePort() != null && p.getNodePort() > 0) {
          out.add(p.getNodePort());
        }
      }
    }
    return out;
  }

  private static Integer oldNodePort(ServiceSpec old, ServicePort p) {
    if (old.getPorts() == null) {
      return null;
    }
    for (ServicePort o : old.getPorts()) {
      if (o.getPort() == p.getPort() && protocolOf(o).equals(protocolOf(p)) && o.getNodePort() != null
          && o.getNodePort() > 0) {
        return o.getNodePort();
      }
    }
    return null;
  }

  private static String protocolOf(ServicePort p) {
    return p.getProtocol() == null ? "TCP" : p.getProtocol().toUpperCase(Locale.ROOT);
  }

  private static String typeOf(ServiceSpec spec) {
    return blank(spec.getType()) ? ServiceDefaults.CLUSTER_IP : spec.getType();
  }

  private static boolean blank(String s) {
    return s == null || s.isEmpty();
  }

  /** As field.Invalid renders a []string value. */
  private static FieldError invalidList(String field, List<String> values, String detail) {
    return new FieldError(field, "FieldValueInvalid", "Invalid value: []string{"
        + values.stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(", ")) + "}: " + detail);
  }
}
