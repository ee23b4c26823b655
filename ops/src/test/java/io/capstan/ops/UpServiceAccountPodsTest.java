package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static io.capstan.ops.KubectlRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.capstan.ops.KubectlRunner.Result;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * ServiceAccounts inside real runc pods ({@code capstan up}): a pod reads the token, CA bundle and
 * namespace mounted at /var/run/secrets/kubernetes.io/serviceaccount, and its token, used from this
 * host, is allowed what a Role bound to its ServiceAccount allows (200) and nothing else (403);
 * a secret volume's file has its content and mode, a downwardAPI file the pod's labels, a ConfigMap
 * update reaches the running pod's file; {@code automountServiceAccountToken: false} gives no
 * volume; a missing ServiceAccount is refused; a secret volume of a missing Secret keeps the pod
 * waiting with a FailedMount event.
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class UpServiceAccountPodsTest {
  private static final Duration AWAIT = ChildCapstan.UP_READY;

  @Test
  void podsReadTheirTokenAndItsRoleDecidesWhatItMayDo() throws Exception {
    SharedUp.scenario(SharedUp.Kind.RUNC, "up-sa-pods",
        c -> scenario(c.work(), c.data(), c.api(), c.kubeconfig(), c.namespace()));
  }

  private static void scenario(Path work, Path data, String api, Path kubeconfig, String ns) throws Exception {
    await(kubeconfig, AWAIT, "the default ServiceAccount", "default", "get", "serviceaccount", "default", "-o",
        "jsonpath={.metadata.name}");
    await(kubeconfig, AWAIT, "the root CA ConfigMap", "BEGIN CERTIFICATE", "get", "configmap", "kube-root-ca.crt", "-o",
        "jsonpath={.data.ca\\.crt}");
    apply(work, kubeconfig, "reader.yaml", """
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: reader
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata:
          name: configmap-reader
        rules:
        - apiGroups: [""]
          resources: ["configmaps"]
          verbs: ["get", "list"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata:
          name: reader-reads-configmaps
        subjects:
        - kind: ServiceAccount
          name: reader
          namespace: %s
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: Role
          name: configmap-reader
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          level: one
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: creds
        stringData:
          password: s3cret
        """.formatted(ns));
    await(kubeconfig, AWAIT, "the reader ServiceAccount", "reader", "get", "serviceaccount", "reader", "-o",
        "jsonpath={.metadata.name}");
    // The processor of the pod's partition knows the ServiceAccount about one commit after it is stored.
    applyRetrying(work, kubeconfig, "sa-pod.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: sa-pod
          labels: {app: sa, tier: test}
        spec:
          serviceAccountName: reader
          containers:
          - name: main
            image: capstan.local/busybox
            command:
            - sh
            - -c
            - |
              d=/var/run/secrets/kubernetes.io/serviceaccount
              echo "TOKEN=$(cat $d/token)"
              echo "NS=$(cat $d/namespace)"
              echo "CA=$(head -1 $d/ca.crt)"
              echo "DATA=$(ls -a $d | grep -c '^..data$')"
              echo "HOST=$KUBERNETES_SERVICE_HOST PORT=$KUBERNETES_SERVICE_PORT"
              echo "PASSWORD=$(cat /etc/creds/password) MODE=$(stat -L -c %a /etc/creds/password)"
              echo "LABELS=$(cat /etc/podinfo/labels | tr '\\n' ',')"
              echo "NAME=$(cat /etc/podinfo/name)"
              trap 'exit 0' TERM
              while true; do echo "LEVEL=$(cat /etc/settings/level)"; sleep 1; done
            volumeMounts:
            - {name: creds, mountPath: /etc/creds}
            - {name: podinfo, mountPath: /etc/podinfo}
            - {name: settings, mountPath: /etc/settings}
          volumes:
          - name: creds
            secret:
              secretName: creds
              defaultMode: 0400
          - name: podinfo
            downwardAPI:
              items:
              - {path: labels, fieldRef: {fieldPath: metadata.labels}}
              - {path: name, fieldRef: {fieldPath: metadata.name}}
          - name: settings
            configMap:
              name: settings
        """);
    String volumes = kubectl(kubeconfig, "get", "pod", "sa-pod", "-o", "jsonpath={.spec.volumes[*].name}");
    assertTrue(volumes.matches("creds podinfo settings kube-api-access-[a-z0-9]{5}"), volumes);
    waitReady(kubeconfig, "sa-pod");
    String log = awaitLog(kubeconfig, "sa-pod", "LEVEL=one");
    String token = line(log, "TOKEN=");
    assertTrue(token.split("\\.").length == 3, "a JWT: " + log);
    assertEquals(ns, line(log, "NS="));
    assertEquals("-----BEGIN CERTIFICATE-----", line(log, "CA="));
    assertEquals("1", line(log, "DATA="), "the atomic writer's ..data link: " + log);
    assertTrue(line(log, "HOST=").matches("\\d+\\.\\d+\\.\\d+\\.\\d+ PORT=443"), log);
    assertEquals("s3cret MODE=400", line(log, "PASSWORD="));
    assertEquals("app=\"sa\",tier=\"test\"", line(log, "LABELS=").replaceAll(",$", ""));
    assertEquals("sa-pod", line(log, "NAME="));

    // The pod's token from this host: its Role allows configmaps, nothing else.
    HttpClient http = HttpClient.newBuilder().sslContext(trusting(data.resolve("pki/ca.crt"))).build();
    assertEquals(200, get(http, api + "/api/v1/namespaces/" + ns + "/configmaps", token));
    assertEquals(200, get(http, api + "/api/v1/namespaces/" + ns + "/configmaps/settings", token));
    assertEquals(403, get(http, api + "/api/v1/namespaces/" + ns + "/secrets", token));
    assertEquals(403, get(http, api + "/api/v1/namespaces/" + ns + "/pods", token));
    assertEquals(403, get(http, api + "/api/v1/namespaces/kube-system/configmaps", token));

    // A ConfigMap update reaches the running pod's file.
    kubectl(kubeconfig, "patch", "configmap", "settings", "--type=merge", "-p", "{\"data\":{\"level\":\"two\"}}");
    awaitLog(kubeconfig, "sa-pod", "LEVEL=two");

    // No token volume when the pod says so.
    apply(work, kubeconfig, "no-token.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: no-token
        spec:
          automountServiceAccountToken: false
          containers:
          - name: main
            image: capstan.local/busybox
            command: ["sh", "-c", "ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1; echo done"]
          restartPolicy: Never
        """);
    assertEquals("", kubectl(kubeconfig, "get", "pod", "no-token", "-o", "jsonpath={.spec.volumes}"));
    assertEquals("default", kubectl(kubeconfig, "get", "pod", "no-token", "-o", "jsonpath={.spec.serviceAccountName}"));
    String noToken = awaitLog(kubeconfig, "no-token", "done");
    assertTrue(noToken.contains("No such file or directory"), noToken);

    // A missing ServiceAccount is refused.
    Path ghost = Files.writeString(work.resolve("ghost.yaml"), """
        apiVersion: v1
        kind: Pod
        metadata:
          name: ghost
        spec:
          serviceAccountName: ghost
          containers:
          - name: main
            image: capstan.local/busybox
        """);
    Result refused = run(kubeconfig, "create", "-f", ghost.toString());
    assertTrue(refused.exit() != 0 && refused.err().contains("pods \"ghost\" is forbidden: error looking up service account"
        + " " + ns + "/ghost: serviceaccount \"ghost\" not found"), refused.err());

    // A secret volume of a missing Secret: the pod waits, saying why; it starts once the Secret exists.
    apply(work, kubeconfig, "waits.yaml", """
        apiVersion: v1
        kind: Pod
        metadata:
          name: waits
        spec:
          containers:
          - name: main
            image: capstan.local/busybox
            command: ["sh", "-c", "cat /etc/later/key; echo; trap 'exit 0' TERM; while true; do sleep 1; done"]
            volumeMounts:
            - {name: later, mountPath: /etc/later}
          volumes:
          - name: later
            secret:
              secretName: later
        """);
    await(kubeconfig, AWAIT, "the FailedMount event", "MountVolume.SetUp failed for volume \"later\" : secret \"later\" not found",
        "get", "events", "--field-selector", "involvedObject.name=waits", "-o", "jsonpath={.items[*].message}");
    assertEquals("ContainerCreating", kubectl(kubeconfig, "get", "pod", "waits", "-o",
        "jsonpath={.status.containerStatuses[0].state.waiting.reason}"));
    kubectl(kubeconfig, "create", "secret", "generic", "later", "--from-literal=key=arrived");
    waitReady(kubeconfig, "waits");
    awaitLog(kubeconfig, "waits", "arrived");

    kubectl(kubeconfig, "delete", "pods", "sa-pod", "no-token", "waits", "--wait=false");
  }

  private static String line(String log, String prefix) {
    return log.lines().filter(l -> l.startsWith(prefix)).findFirst().map(l -> l.substring(prefix.length()))
        .orElseThrow(() -> new AssertionError("no line " + prefix + " in:\n" + log));
  }

  private static int get(HttpClient http, String url, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private static SSLContext trusting(Path caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(
        new ByteArrayInputStream(Files.readAllBytes(caFile))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static void waitReady(Path kubeconfig, String pod) throws Exception {
    Result r = run(kubeconfig, "wait", "--for=condition=Ready", "pod/" + pod, "--timeout=3m");
    if (r.exit() != 0) {
      fail("pod " + pod + " not Ready: " + r.err() + "\n" + run(kubeconfig, "describe", "pod", pod).out());
    }
  }

  private static String awaitLog(Path kubeconfig, String pod, String expected) throws Exception {
    return await(kubeconfig, AWAIT, "the log of " + pod + " to show " + expected, expected, "logs", pod);
  }

  private static void applyRetrying(Path work, Path kubeconfig, String file, String yaml) throws Exception {
    Path manifest = Files.writeString(work.resolve(file), yaml);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Result r = run(kubeconfig, "apply", "-f", manifest.toString());
    while (r.exit() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(300);
      r = run(kubeconfig, "apply", "-f", manifest.toString());
    }
    assertEquals(0, r.exit(), "kubectl apply -f " + file + ": " + r.err());
  }

  private static void apply(Path work, Path kubeconfig, String file, String yaml) throws Exception {
    Path manifest = Files.writeString(work.resolve(file), yaml);
    kubectl(kubeconfig, "apply", "-f", manifest.toString());
  }

}
