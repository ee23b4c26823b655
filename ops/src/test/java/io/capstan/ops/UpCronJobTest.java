package io.capstan.ops;

import static io.capstan.ops.KubectlRunner.await;
import static io.capstan.ops.KubectlRunner.kubectl;
import static io.capstan.ops.KubectlRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.ops.KubectlRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * CronJobs and PriorityClasses with kubectl against {@code capstan up}: {@code kubectl create
 * cronjob} every minute gets a Job within a minute, {@code kubectl get cronjob} prints kube's
 * columns, {@code kubectl create job --from=cronjob/...} works, a bad schedule is a 422 naming
 * the field; the built-in priority classes exist, a pod gets its class's priority and a pod naming
 * a missing class is forbidden. On the shared hollow cluster: no container runs.
 */
@SharedUp.Uses(SharedUp.Kind.HOLLOW)
class UpCronJobTest {
  private static final Duration AWAIT = Duration.ofSeconds(90);

  @Test
  void aCronJobEveryMinuteGetsAJobAndPodsGetTheirPriority() throws Exception {
    SharedUp.scenario(SharedUp.Kind.HOLLOW, "up-cronjob", c -> {
      Path work = c.work();
      Path kubeconfig = c.kubeconfig();

      // Built-in priority classes, and admission.
      String classes = await(kubeconfig, AWAIT, "the system priority classes", "system-node-critical", "get",
          "priorityclasses");
      assertTrue(classes.lines().anyMatch(l -> l.matches("system-node-critical\\s+2000001000\\s+false\\s+\\S+\\s+"
          + "PreemptLowerPriority")), classes);
      kubectl(kubeconfig, "create", "priorityclass", "batch-high", "--value=1000", "--description=nightly batches");
      Path pod = work.resolve("pod.yaml");
      Files.writeString(pod, """
          apiVersion: v1
          kind: Pod
          metadata: {name: prioritized}
          spec:
            priorityClassName: batch-high
            containers: [{name: app, image: busybox}]
          """);
      await(kubeconfig, AWAIT, "the pod admitted with its class", "pod/prioritized created", "create", "-f", pod.toString());
      assertEquals("1000", kubectl(kubeconfig, "get", "pod", "prioritized", "-o", "jsonpath={.spec.priority}"));
      Files.writeString(pod, Files.readString(pod).replace("prioritized", "unknown").replace("batch-high", "gold"));
      Result missing = run(kubeconfig, "create", "-f", pod.toString());
      assertNotEquals(0, missing.exit());
      assertTrue(missing.err().contains("pods \"unknown\" is forbidden: no PriorityClass with name gold was found"),
          missing.err());

      // A bad schedule names the field.
      Result bad = run(kubeconfig, "create", "cronjob", "bad", "--image=busybox", "--schedule=61 * * * *");
      assertNotEquals(0, bad.exit());
      assertTrue(bad.err().contains("spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59)"),
          bad.err());

      kubectl(kubeconfig, "create", "cronjob", "hello", "--image=busybox", "--schedule=*/1 * * * *", "--", "true");
      String job = await(kubeconfig, AWAIT, "a Job of the CronJob", "hello-", "get", "jobs", "-o",
          "jsonpath={.items[*].metadata.name}");
      assertTrue(job.matches("hello-[0-9]+"), job);
      String table = await(kubeconfig, AWAIT, "the last schedule", "hello", "get", "cronjob", "hello");
      assertTrue(table.lines().findFirst().orElse("").matches(
          "NAME\\s+SCHEDULE\\s+TIMEZONE\\s+SUSPEND\\s+ACTIVE\\s+LAST SCHEDULE\\s+AGE"), table);
      assertTrue(table.lines().skip(1).findFirst().orElse("").matches(
          "hello\\s+\\*/1 \\* \\* \\* \\*\\s+<none>\\s+False\\s+[0-9]+\\s+\\S+\\s+\\S+"), table);
      assertEquals("CronJob/hello", kubectl(kubeconfig, "get", "job", job, "-o",
          "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"));

      kubectl(kubeconfig, "create", "job", "by-hand", "--from=cronjob/hello");
      assertEquals("manual", kubectl(kubeconfig, "get", "job", "by-hand", "-o",
          "jsonpath={.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}"));
      kubectl(kubeconfig, "delete", "priorityclass", "batch-high");
    });
  }

}
