package io.capstan.stateviews.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Container;
import io.capstan.api.Deployment;
import io.capstan.api.LimitRange;
import io.capstan.api.Pod;
import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.processor.rules.LimitRangeAdmission;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The LimitRanger admission plugin in the command processor: a new pod's containers and init
 * containers get their namespace's Container defaults (with kube's annotation saying which), pod
 * templates do not, and a pod breaking a min, max or limit/request ratio of a Container or Pod
 * item is refused with 403 in kube's words.
 */
class LimitRangeAdmissionCommandTest {
  private final ProcessorHarness h = new ProcessorHarness();
  private final TestInputTopic<String, byte[]> rangeTable = h.driver.createInputTopic(
      h.layout.state(Kinds.LIMIT_RANGE), new StringSerializer(), new ByteArraySerializer());

  @AfterEach
  void close() {
    h.close();
  }

  /** Creates the namespace and the LimitRange; the global table every partition reads has it once its state record is read. */
  private LimitRange limits(String namespace, String yaml) {
    h.withNamespace(namespace);
    LimitRange lr = (LimitRange) KubeJson.fromJson(Kinds.LIMIT_RANGE, KubeJson.parse(yaml)).object();
    lr.getMetadata().setNamespace(namespace);
    LimitRange stored = h.accept(h.create(lr));
    rangeTable.pipeInput("LimitRange/" + namespace + "/" + stored.getMetadata().getName(), LogCodec.get().encode(stored));
    h.drain();
    return stored;
  }

  private static Pod pod(String namespace, String yaml) {
    Pod p = (Pod) KubeJson.fromJson(Kinds.POD, KubeJson.parse(yaml)).object();
    p.getMetadata().setNamespace(namespace);
    return p;
  }

  private String refusal(Pod p) {
    Reply r = h.send(h.create(p));
    assertFalse(r.getAccepted(), "expected " + p.getMetadata().getName() + " to be refused");
    assertEquals(403, r.getStatus().getCode(), r.getStatus().toString());
    assertEquals("Forbidden", r.getStatus().getReason());
    return r.getStatus().getMessage();
  }

  private static Map<String, String> requests(Container c) {
    return c.getResources().getRequests();
  }

  private static Map<String, String> limitsOf(Container c) {
    return c.getResources().getLimits();
  }

  @Test
  void containersAndInitContainersGetTheDefaultsAndThePodSaysWhich() {
    limits("team", """
        metadata: {name: defaults}
        spec:
          limits:
          - type: Container
            default: {cpu: 500m, memory: 256Mi}
            defaultRequest: {cpu: 100m}
        """);
    Pod created = h.accept(h.create(pod("team", """
        metadata: {name: web}
        spec:
          initContainers:
          - {name: setup, image: busybox, resources: {limits: {cpu: 200m}}}
          containers:
          - {name: web, image: busybox}
          - {name: side, image: busybox, resources: {requests: {memory: 64Mi}}}
        """)));
    Container web = created.getSpec().getContainers().get(0);
    assertEquals(Map.of("cpu", "100m", "memory", "256Mi"), requests(web), "defaultRequest, then default");
    assertEquals(Map.of("cpu", "500m", "memory", "256Mi"), limitsOf(web));
    Container side = created.getSpec().getContainers().get(1);
    assertEquals(Map.of("cpu", "100m", "memory", "64Mi"), requests(side), "what the container names stays");
    Container setup = created.getSpec().getInitContainers().get(0);
    assertEquals(Map.of("cpu", "200m", "memory", "256Mi"), limitsOf(setup));
    assertEquals(Map.of("cpu", "200m", "memory", "256Mi"), requests(setup),
        "a limit the pod names is its request too (defaulting runs before admission)");
    assertEquals("LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web;"
        + " cpu request for container side; cpu, memory limit for container side;"
        + " memory request for init container setup; memory limit for init container setup",
        created.getMetadata().getAnnotations().get(LimitRangeAdmission.ANNOTATION));

    // Another namespace has no LimitRange: nothing is set.
    h.withNamespace("other");
    Pod plain = h.accept(h.create(pod("other", "metadata: {name: web}\nspec: {containers: [{name: web, image: busybox}]}")));
    assertNull(plain.getSpec().getContainers().get(0).getResources());
    assertTrue(plain.getMetadata().getAnnotations() == null
        || !plain.getMetadata().getAnnotations().containsKey(LimitRangeAdmission.ANNOTATION));
  }

  @Test
  void podTemplatesAreNotAdmittedOnlyThePodsMadeFromThem() {
    limits("team", """
        metadata: {name: defaults}
        spec: {limits: [{type: Container, default: {cpu: 300m}}]}
        """);
    Deployment d = (Deployment) KubeJson.fromJson(Kinds.DEPLOYMENT, KubeJson.parse("""
        metadata: {name: web, namespace: team}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: busybox}]}
        """)).object();
    Deployment stored = h.accept(h.create(d));
    assertNull(stored.getSpec().getTemplate().getSpec().getContainers().get(0).getResources(),
        "the template is left as written");
  }

  @Test
  void aContainerAboveItsMaxOrBelowItsMinIsForbidden() {
    limits("bounded", """
        metadata: {name: bounds}
        spec:
          limits:
          - type: Container
            max: {cpu: "2", memory: 1Gi}
            min: {cpu: 100m}
        """);
    assertEquals("pods \"big\" is forbidden: maximum cpu usage per Container is 2, but limit is 3", refusal(pod("bounded", """
        metadata: {name: big}
        spec: {containers: [{name: web, image: busybox, resources: {limits: {cpu: "3"}}}]}
        """)));
    assertEquals("pods \"tiny\" is forbidden: minimum cpu usage per Container is 100m, but request is 50m",
        refusal(pod("bounded", """
            metadata: {name: tiny}
            spec: {containers: [{name: web, image: busybox, resources: {requests: {cpu: 50m}}}]}
            """)));
    assertEquals("pods \"setup\" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi",
        refusal(pod("bounded", """
            metadata: {name: setup}
            spec:
              initContainers: [{name: init, image: busybox, resources: {limits: {memory: 2Gi}}}]
              containers: [{name: web, image: busybox}]
            """)), "init containers are held to the Container items too");
    // Without a limit the max becomes the container's default limit (LimitRange defaulting), so it fits.
    Pod fits = h.accept(h.create(pod("bounded", "metadata: {name: fits}\nspec: {containers: [{name: web, image: busybox}]}")));
    assertEquals(Map.of("cpu", "2", "memory", "1Gi"), limitsOf(fits.getSpec().getContainers().get(0)));
    assertEquals(Map.of("cpu", "2", "memory", "1Gi"), requests(fits.getSpec().getContainers().get(0)));
  }

  @Test
  void theLimitToRequestRatioIsEnforcedAndSeveralBreachesAreListedTogether() {
    limits("ratio", """
        metadata: {name: ratio}
        spec:
          limits:
          - type: Container
            maxLimitRequestRatio: {cpu: "2", memory: "4"}
        """);
    assertEquals("pods \"bursty\" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is"
        + " 4.000000", refusal(pod("ratio", """
            metadata: {name: bursty}
            spec: {containers: [{name: web, image: busybox, resources: {requests: {cpu: 100m, memory: 1Gi},
              limits: {cpu: 400m, memory: 1Gi}}}]}
            """)));
    assertEquals("pods \"unbounded\" is forbidden: [cpu max limit to request ratio per Container is 2, but no limit is"
        + " specified or limit is 0, memory max limit to request ratio per Container is 4, but no request is specified"
        + " or request is 0]", refusal(pod("ratio", """
            metadata: {name: unbounded}
            spec: {containers: [{name: web, image: busybox, resources: {requests: {cpu: 100m}}}]}
            """)));
    assertTrue(h.send(h.create(pod("ratio", """
        metadata: {name: steady}
        spec: {containers: [{name: web, image: busybox, resources: {requests: {cpu: 100m, memory: 1Gi},
          limits: {cpu: 200m, memory: 2Gi}}}]}
        """))).getAccepted(), "a ratio within the bounds is fine");
  }

  @Test
  void podItemsBoundThePodsTotalsSidecarsIncluded() {
    limits("pods", """
        metadata: {name: per-pod}
        spec:
          limits:
          - type: Pod
            max: {cpu: "1", memory: 1Gi}
        """);
    assertEquals("pods \"no-limit\" is forbidden: maximum memory usage per Pod is 1Gi.  No limit is specified",
        refusal(pod("pods", """
            metadata: {name: no-limit}
            spec: {containers: [{name: web, image: busybox, resources: {limits: {cpu: 500m}}}]}
            """)), "a Pod item has no defaults: a container without a memory limit leaves the pod without one");
    assertEquals("pods \"with-sidecar\" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m",
        refusal(pod("pods", """
            metadata: {name: with-sidecar}
            spec:
              initContainers: [{name: proxy, image: busybox, restartPolicy: Always,
                resources: {limits: {cpu: 600m, memory: 100Mi}}}]
              containers: [{name: web, image: busybox, resources: {limits: {cpu: 600m, memory: 100Mi}}}]
            """)), "a native sidecar runs beside the containers: its share counts");
    assertTrue(h.send(h.create(pod("pods", """
        metadata: {name: with-init}
        spec:
          initContainers: [{name: setup, image: busybox, resources: {limits: {cpu: 600m, memory: 100Mi}}}]
          containers: [{name: web, image: busybox, resources: {limits: {cpu: 600m, memory: 100Mi}}}]
        """))).getAccepted(), "a plain init container has finished before the containers start: the larger share counts");
  }

  @Test
  void aLimitRangeDeletedNoLongerApplies() {
    LimitRange lr = limits("gone", """
        metadata: {name: bounds}
        spec: {limits: [{type: Container, max: {cpu: 100m}}]}
        """);
    Pod big = pod("gone", """
        metadata: {name: big}
        spec: {containers: [{name: web, image: busybox, resources: {limits: {cpu: "1"}}}]}
        """);
    assertEquals("pods \"big\" is forbidden: maximum cpu usage per Container is 100m, but limit is 1", refusal(big));
    assertTrue(h.send(h.delete(Kinds.LIMIT_RANGE, "gone", lr.getMetadata().getName())).getAccepted());
    rangeTable.pipeInput("LimitRange/gone/bounds", (byte[]) null);
    h.drain();
    assertTrue(h.send(h.create(big)).getAccepted());
  }
}
