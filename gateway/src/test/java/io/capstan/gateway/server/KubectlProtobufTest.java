package io.capstan.gateway.server;

import io.capstan.gateway.testing.KubectlCli;
import io.capstan.gateway.testing.KubectlCli.Result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.logschema.json.KubeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * kubectl's generator commands against the gateway: they build a typed object and send it as
 * {@code application/vnd.kubernetes.protobuf} (the protobuf-first content type of client-go's
 * typed clients), which kubectl create -f / apply do not. (kubectl v1.32's run and expose send
 * JSON; they are here too as the generators users reach for next to the others.) Each test checks at {@code -v=8} that the
 * body really went as protobuf, then reads the stored object back as JSON and checks the fields
 * the command set (labels, replicas, image, command/args, ports, data).
 */
class KubectlProtobufTest extends KubectlAgainstGateway {
  /**
   * A generator command at -v=8, which logs the request headers: it must have sent protobuf
   * (otherwise this test would prove nothing about the protobuf path) and succeeded.
   */
  static Result sentAsProtobuf(String... args) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("-v=8")); // first: after "--" it would be the container's
    all.addAll(List.of(args));
    Result r = ok(all.toArray(String[]::new));
    assertTrue(r.err().contains("Content-Type: application/vnd.kubernetes.protobuf"),
        "kubectl " + String.join(" ", args) + " did not send protobuf:\n" + r.both());
    return r;
  }

  static JsonNode stored(String... what) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("get"));
    args.addAll(List.of(what));
    args.addAll(List.of("-o", "json"));
    return KubeJson.parse(ok(args.toArray(String[]::new)).out());
  }

  @Test
  void createDeploymentThenExposeIt() throws Exception {
    sentAsProtobuf("create", "deployment", "web", "--image=busybox", "--replicas=2", "--port=8080");
    JsonNode d = stored("deployment", "web");
    assertEquals(2, d.at("/spec/replicas").asInt(), d.toString());
    assertEquals("web", d.at("/metadata/labels/app").asText(), d.toString());
    assertEquals("web", d.at("/spec/selector/matchLabels/app").asText(), d.toString());
    assertEquals("web", d.at("/spec/template/metadata/labels/app").asText(), d.toString());
    JsonNode container = d.at("/spec/template/spec/containers/0");
    assertEquals("busybox", container.get("name").asText(), d.toString());
    assertEquals("busybox", container.get("image").asText(), d.toString());
    assertEquals(8080, container.at("/ports/0/containerPort").asInt(), d.toString());
    assertEquals("RollingUpdate", d.at("/spec/strategy/type").asText(), "defaults applied as for JSON: " + d);
    assertFalse(d.at("/metadata/uid").asText().isEmpty(), d.toString());

    // kubectl expose builds the Service through the dynamic client, so it sends JSON, not protobuf.
    ok("expose", "deployment", "web", "--port=80", "--target-port=8080");
    JsonNode svc = stored("service", "web");
    assertEquals("web", svc.at("/spec/selector/app").asText(), svc.toString());
    assertEquals(80, svc.at("/spec/ports/0/port").asInt(), svc.toString());
    assertEquals(8080, svc.at("/spec/ports/0/targetPort").asInt(), svc.toString());
    assertEquals("TCP", svc.at("/spec/ports/0/protocol").asText(), svc.toString());
  }

  @Test
  void createDeploymentWithZeroReplicasKeepsTheZero() throws Exception {
    // replicas is a pointer field: an explicit 0 on the wire is 0, not "unset, default 1".
    sentAsProtobuf("create", "deployment", "idle", "--image=busybox", "--replicas=0");
    assertEquals(0, stored("deployment", "idle").at("/spec/replicas").asInt(-1));
  }

  @Test
  void createConfigMapFromLiterals() throws Exception {
    sentAsProtobuf("create", "configmap", "c", "--from-literal=a=b", "--from-literal=greeting=hello world");
    JsonNode cm = stored("configmap", "c");
    assertEquals("b", cm.at("/data/a").asText(), cm.toString());
    assertEquals("hello world", cm.at("/data/greeting").asText(), cm.toString());
  }

  @Test
  void createSecretGenericFromLiteral() throws Exception {
    sentAsProtobuf("create", "secret", "generic", "s", "--from-literal=k=v", "--from-literal=token=s3cr3t!");
    JsonNode s = stored("secret", "s");
    // kubectl leaves type empty; the processor defaults it to Opaque, as kube-apiserver does.
    assertEquals("Opaque", s.path("type").asText(), s.toString());
    assertEquals("v", new String(Base64.getDecoder().decode(s.at("/data/k").asText()), StandardCharsets.UTF_8));
    assertEquals("s3cr3t!", new String(Base64.getDecoder().decode(s.at("/data/token").asText()), StandardCharsets.UTF_8));
  }

  @Test
  void createNamespace() throws Exception {
    sentAsProtobuf("create", "namespace", "n2");
    JsonNode ns = stored("namespace", "n2");
    assertEquals("n2", ns.at("/metadata/name").asText(), ns.toString());
    ok("create", "configmap", "inside", "-n", "n2", "--from-literal=x=y");
    assertEquals("y", stored("configmap", "inside", "-n", "n2").at("/data/x").asText());
  }

  @Test
  void runAPodWithCommandArgsLabelsAndEnvSendsJson() throws Exception {
    // kubectl run (v1.32) sends its Pod as JSON; kept here as the pod-shaped generator users reach for.
    ok("run", "p", "--image=busybox", "--labels=tier=web,team=a", "--env=MODE=fast", "--port=9000",
        "--restart=Never", "--command", "--", "sleep", "5");
    JsonNode pod = stored("pod", "p");
    assertEquals("web", pod.at("/metadata/labels/tier").asText(), pod.toString());
    assertEquals("a", pod.at("/metadata/labels/team").asText(), pod.toString());
    JsonNode c = pod.at("/spec/containers/0");
    assertEquals("busybox", c.get("image").asText(), pod.toString());
    assertEquals("[\"sleep\",\"5\"]", c.get("command").toString(), pod.toString());
    assertEquals("MODE", c.at("/env/0/name").asText(), pod.toString());
    assertEquals("fast", c.at("/env/0/value").asText(), pod.toString());
    assertEquals(9000, c.at("/ports/0/containerPort").asInt(), pod.toString());
    assertEquals("Never", pod.at("/spec/restartPolicy").asText(), pod.toString());

    ok("run", "q", "--image=busybox", "--", "sleep", "5");
    JsonNode args = stored("pod", "q").at("/spec/containers/0/args");
    assertEquals("[\"sleep\",\"5\"]", args.toString(), "without --command the words are args");
  }

  @Test
  void createJobWithCommand() throws Exception {
    sentAsProtobuf("create", "job", "j", "--image=busybox", "--", "true");
    JsonNode job = stored("job", "j");
    JsonNode c = job.at("/spec/template/spec/containers/0");
    assertEquals("busybox", c.get("image").asText(), job.toString());
    assertEquals("[\"true\"]", c.get("command").toString(), job.toString());
    assertEquals("Never", job.at("/spec/template/spec/restartPolicy").asText(), job.toString());
  }

  @Test
  void createServiceClusterIp() throws Exception {
    sentAsProtobuf("create", "service", "clusterip", "svc", "--tcp=80:8080", "--tcp=443:8443");
    JsonNode svc = stored("service", "svc");
    assertEquals("ClusterIP", svc.at("/spec/type").asText(), svc.toString());
    assertEquals("svc", svc.at("/spec/selector/app").asText(), svc.toString());
    assertEquals(80, svc.at("/spec/ports/0/port").asInt(), svc.toString());
    assertEquals(8080, svc.at("/spec/ports/0/targetPort").asInt(), svc.toString());
    assertEquals("80-8080", svc.at("/spec/ports/0/name").asText(), svc.toString());
    assertEquals(443, svc.at("/spec/ports/1/port").asInt(), svc.toString());
  }

  @Test
  void createServiceNodePortAndDockerRegistrySecret() throws Exception {
    sentAsProtobuf("create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080");
    JsonNode svc = stored("service", "np");
    assertEquals("NodePort", svc.at("/spec/type").asText(), svc.toString());
    assertEquals(30080, svc.at("/spec/ports/0/nodePort").asInt(), svc.toString());

    sentAsProtobuf("create", "secret", "docker-registry", "reg", "--docker-server=registry.example.com",
        "--docker-username=u", "--docker-password=p");
    JsonNode reg = stored("secret", "reg");
    assertEquals("kubernetes.io/dockerconfigjson", reg.get("type").asText(), reg.toString());
    String config = new String(Base64.getDecoder().decode(reg.at("/data/.dockerconfigjson").asText()),
        StandardCharsets.UTF_8);
    assertTrue(config.contains("registry.example.com"), config);
  }

  @Test
  void createDeploymentWithTwoImages() throws Exception {
    sentAsProtobuf("create", "deployment", "pair", "--image=busybox:1.36", "--image=nginx:1.27");
    JsonNode containers = stored("deployment", "pair").at("/spec/template/spec/containers");
    assertEquals(2, containers.size(), containers.toString());
    assertEquals("busybox:1.36", containers.get(0).get("image").asText());
    assertEquals("nginx:1.27", containers.get(1).get("image").asText());
    assertEquals(1, stored("deployment", "pair").at("/spec/replicas").asInt(), "replicas unset: defaulted to 1");
  }

  @Test
  void createQuota() throws Exception {
    sentAsProtobuf("create", "quota", "q", "--hard=pods=10,requests.cpu=2,requests.memory=1Gi");
    JsonNode q = stored("resourcequota", "q");
    assertEquals("10", q.at("/spec/hard/pods").asText(), q.toString());
    assertEquals("2", q.at("/spec/hard/requests.cpu").asText(), q.toString());
    assertEquals("1Gi", q.at("/spec/hard/requests.memory").asText(), q.toString());
  }

  @Test
  void invalidObjectGetsTheSame422AsJson() throws Exception {
    // kubectl does not check names; the gateway's shared validation does, whatever the encoding.
    Result r = kubectl("create", "configmap", "Bad_Name", "--from-literal=a=b");
    assertTrue(r.exit() != 0, r.both());
    assertTrue(r.err().contains("is invalid") && r.err().contains("metadata.name"), r.both());
  }

  @Test
  void dryRunServerStoresNothing() throws Exception {
    Result r = sentAsProtobuf("create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server");
    assertTrue(r.out().contains("created (server dry run)"), r.both());
    assertTrue(kubectl("get", "configmap", "dry").exit() != 0, "nothing stored");
  }
}
