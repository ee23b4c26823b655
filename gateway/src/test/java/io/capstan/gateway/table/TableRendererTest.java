package io.capstan.gateway.table;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.capstan.gateway.paging.ContinueToken;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kinds;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TableRendererTest {
  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

  private static JsonNode json(String s) {
    return KubeJson.parse(s.replace('\'', '"'));
  }

  @Test
  void humanDurations() {
    assertEquals("45s", HumanDuration.format(Duration.ofSeconds(45)));
    assertEquals("119s", HumanDuration.format(Duration.ofSeconds(119)));
    assertEquals("5m12s", HumanDuration.format(Duration.ofSeconds(312)));
    assertEquals("5m", HumanDuration.format(Duration.ofMinutes(5)));
    assertEquals("90m", HumanDuration.format(Duration.ofMinutes(90)));
    assertEquals("3h10m", HumanDuration.format(Duration.ofMinutes(190)));
    assertEquals("20h", HumanDuration.format(Duration.ofHours(20)));
    assertEquals("2d4h", HumanDuration.format(Duration.ofHours(52)));
    assertEquals("30d", HumanDuration.format(Duration.ofDays(30)));
    assertEquals("3y10d", HumanDuration.format(Duration.ofDays(3 * 365 + 10)));
    assertEquals("<invalid>", HumanDuration.format(Duration.ofSeconds(-5)));
  }

  @Test
  void podColumns() {
    JsonNode pod = json("{'metadata':{'name':'web-1','creationTimestamp':'2026-01-01T11:55:00Z'},"
        + "'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
        + "'status':{'phase':'Running','containerStatuses':["
        + "{'name':'a','ready':true,'restartCount':2,'state':{'running':{}}},"
        + "{'name':'b','ready':false,'restartCount':1,'state':{'waiting':{'reason':'CrashLoopBackOff'}}}]}}");
    JsonNode table = TableRenderer.render(Kinds.POD, List.of(pod), "7", null, NOW);
    assertEquals("Table", table.get("kind").asText());
    assertEquals(List.of("Name", "Ready", "Status", "Restarts", "Age"),
        table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['web-1','1/2','CrashLoopBackOff','3','5m']"), table.at("/rows/0/cells"));
    assertEquals("PartialObjectMetadata", table.at("/rows/0/object/kind").asText());
    assertEquals("web-1", table.at("/rows/0/object/metadata/name").asText());
    assertEquals("7", table.at("/metadata/resourceVersion").asText());
  }

  @Test
  void pendingInitAndTerminatingPods() {
    JsonNode init = json("{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'i'}],'containers':[{'name':'a'}]},"
        + "'status':{'phase':'Pending','initContainerStatuses':[{'name':'i','restartCount':0,'state':{'running':{}}}]}}");
    assertEquals("Init:0/1", TableRenderer.render(Kinds.POD, List.of(init), null, null, NOW).at("/rows/0/cells/2").asText());
    // A native sidecar counts among the containers once started; until then the pod is initializing.
    JsonNode withSidecar = json("{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'proxy','restartPolicy':"
        + "'Always'}],'containers':[{'name':'a'}]},'status':{'phase':'Running','initContainerStatuses':[{'name':'proxy',"
        + "'restartCount':1,'started':true,'ready':true,'state':{'running':{}}}],'containerStatuses':[{'name':'a',"
        + "'restartCount':0,'ready':true,'state':{'running':{}}}]}}");
    JsonNode row = TableRenderer.render(Kinds.POD, List.of(withSidecar), null, null, NOW).at("/rows/0/cells");
    assertEquals("2/2", row.get(1).asText());
    assertEquals("Running", row.get(2).asText());
    assertEquals(1, row.get(3).asInt());
    JsonNode starting = json("{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'proxy','restartPolicy':"
        + "'Always'}],'containers':[{'name':'a'}]},'status':{'phase':'Pending','initContainerStatuses':[{'name':'proxy',"
        + "'restartCount':0,'started':false,'ready':false,'state':{'running':{}}}]}}");
    row = TableRenderer.render(Kinds.POD, List.of(starting), null, null, NOW).at("/rows/0/cells");
    assertEquals("0/2", row.get(1).asText());
    assertEquals("Init:0/1", row.get(2).asText());
    JsonNode completed = json("{'metadata':{'name':'p'},'spec':{'initContainers':[{'name':'proxy','restartPolicy':"
        + "'Always'}],'containers':[{'name':'a'}]},'status':{'phase':'Succeeded','conditions':[{'type':'Initialized',"
        + "'status':'True'}],'initContainerStatuses':[{'name':'proxy','restartCount':0,'started':false,'ready':false,"
        + "'state':{'terminated':{'exitCode':137,'reason':'Error'}}}],'containerStatuses':[{'name':'a','restartCount':0,"
        + "'ready':false,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}");
    row = TableRenderer.render(Kinds.POD, List.of(completed), null, null, NOW).at("/rows/0/cells");
    assertEquals("0/2", row.get(1).asText());
    assertEquals("Completed", row.get(2).asText(), "a sidecar stopped after the pod's work shows no Init:Error");
    JsonNode terminating = json("{'metadata':{'name':'p','deletionTimestamp':'2026-01-01T11:59:00Z'},"
        + "'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running'}}");
    assertEquals("Terminating", TableRenderer.render(Kinds.POD, List.of(terminating), null, null, NOW)
        .at("/rows/0/cells/2").asText());
  }

  @Test
  void deploymentAndGenericColumns() {
    JsonNode d = json("{'metadata':{'name':'web','creationTimestamp':'2026-01-01T09:00:00Z'},'spec':{'replicas':3},"
        + "'status':{'readyReplicas':2,'updatedReplicas':3,'availableReplicas':2}}");
    JsonNode table = TableRenderer.render(Kinds.DEPLOYMENT, List.of(d), null, null, NOW);
    assertEquals(List.of("Name", "Ready", "Up-to-date", "Available", "Age"),
        table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['web','2/3',3,2,'3h']").toString(), table.at("/rows/0/cells").toString());
    JsonNode cm = json("{'metadata':{'name':'c','creationTimestamp':'2025-12-30T12:00:00Z'},'data':{'a':'1','b':'2'}}");
    assertEquals(json("['c',2,'2d']").toString(), TableRenderer.render(Kinds.CONFIG_MAP, List.of(cm), null, null, NOW)
        .at("/rows/0/cells").toString());
    JsonNode lease = json("{'metadata':{'name':'l','creationTimestamp':'2025-12-30T12:00:00Z'}}");
    assertEquals(json("['l','','2d']"), TableRenderer.render(Kinds.LEASE, List.of(lease), null, null, NOW)
        .at("/rows/0/cells"));
  }

  @Test
  void storageColumnsAsKubectlPrintsThem() {
    JsonNode pv = json("{'metadata':{'name':'pvc-1','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteMany','ReadWriteOnce'],"
        + "'persistentVolumeReclaimPolicy':'Delete','claimRef':{'namespace':'default','name':'data'},"
        + "'storageClassName':'local-path','volumeMode':'Filesystem'},'status':{'phase':'Bound'}}");
    JsonNode table = TableRenderer.render(Kinds.PERSISTENT_VOLUME, List.of(pv), null, null, NOW);
    assertEquals(List.of("Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass",
        "VolumeAttributesClass", "Reason", "Age", "VolumeMode"), table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['pvc-1','1Gi','RWO,RWX','Delete','Bound','default/data','local-path','<unset>','','60m',"
        + "'Filesystem']").toString(), table.at("/rows/0/cells").toString());
    JsonNode pending = json("{'metadata':{'name':'data','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'accessModes':['ReadWriteOnce'],'storageClassName':'local-path','volumeMode':'Filesystem'},"
        + "'status':{'phase':'Pending'}}");
    table = TableRenderer.render(Kinds.PERSISTENT_VOLUME_CLAIM, List.of(pending), null, null, NOW);
    assertEquals(List.of("Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass",
        "Age", "VolumeMode"), table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['data','Pending','','','','local-path','<unset>','60m','Filesystem']").toString(),
        table.at("/rows/0/cells").toString());
    JsonNode bound = json("{'metadata':{'name':'data','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'accessModes':['ReadWriteOnce'],'volumeName':'pvc-1','storageClassName':'local-path'},"
        + "'status':{'phase':'Bound','capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce']}}");
    assertEquals(json("['data','Bound','pvc-1','1Gi','RWO','local-path','<unset>','60m','<unset>']").toString(),
        TableRenderer.render(Kinds.PERSISTENT_VOLUME_CLAIM, List.of(bound), null, null, NOW)
            .at("/rows/0/cells").toString());
    JsonNode sc = json("{'metadata':{'name':'local-path','creationTimestamp':'2026-01-01T11:00:00Z',"
        + "'annotations':{'storageclass.kubernetes.io/is-default-class':'true'}},'provisioner':'capstan.io/local-path',"
        + "'reclaimPolicy':'Delete','volumeBindingMode':'WaitForFirstConsumer'}");
    table = TableRenderer.render(Kinds.STORAGE_CLASS, List.of(sc), null, null, NOW);
    assertEquals(List.of("Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"),
        table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['local-path (default)','capstan.io/local-path','Delete','WaitForFirstConsumer','false','60m']")
        .toString(), table.at("/rows/0/cells").toString());
  }

  @Test
  void horizontalPodAutoscalerColumnsAsKubectlPrintsThem() {
    JsonNode hpa = json("{'metadata':{'name':'web','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'},'minReplicas':1,"
        + "'maxReplicas':4,'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization',"
        + "'averageUtilization':50}}}]}}");
    JsonNode table = TableRenderer.render(Kinds.HORIZONTAL_POD_AUTOSCALER, List.of(hpa), null, null, NOW);
    assertEquals(List.of("Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"),
        table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['web','Deployment/web','cpu: <unknown>/50%','1',4,0,'60m']").toString(),
        table.at("/rows/0/cells").toString());
    JsonNode measured = json("{'metadata':{'name':'api','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'scaleTargetRef':{'kind':'StatefulSet','name':'db'},'maxReplicas':10,'metrics':["
        + "{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':50}}},"
        + "{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'100Mi'}}},"
        + "{'type':'Pods','pods':{'metric':{'name':'qps'},'target':{'type':'AverageValue','averageValue':'1k'}}}]},"
        + "'status':{'currentReplicas':3,'desiredReplicas':3,'currentMetrics':["
        + "{'type':'Resource','resource':{'name':'cpu','current':{'averageUtilization':73,'averageValue':'146m'}}},"
        + "{'type':'Resource','resource':{'name':'memory','current':{'averageValue':'20Mi'}}}]}}");
    assertEquals(json("['api','StatefulSet/db','cpu: 73%/50%, memory: 20Mi/100Mi + 1 more...','<unset>',10,3,'60m']")
        .toString(), TableRenderer.render(Kinds.HORIZONTAL_POD_AUTOSCALER, List.of(measured), null, null, NOW)
        .at("/rows/0/cells").toString());
  }

  @Test
  void podDisruptionBudgetColumnsAsKubectlPrintsThem() {
    JsonNode pdb = json("{'metadata':{'name':'web','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'minAvailable':'50%'},'status':{'disruptionsAllowed':1}}");
    JsonNode table = TableRenderer.render(Kinds.POD_DISRUPTION_BUDGET, List.of(pdb), null, null, NOW);
    assertEquals(List.of("Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"),
        table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['web','50%','N/A',1,'60m']").toString(), table.at("/rows/0/cells").toString());
    JsonNode fresh = json("{'metadata':{'name':'db','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'maxUnavailable':1}}");
    assertEquals(json("['db','N/A','1',0,'60m']").toString(), TableRenderer.render(Kinds.POD_DISRUPTION_BUDGET,
        List.of(fresh), null, null, NOW).at("/rows/0/cells").toString());
  }

  @Test
  void serviceEndpointsAndSliceColumnsAsKubectlPrintsThem() {
    JsonNode svc = json("{'metadata':{'name':'web','creationTimestamp':'2026-01-01T09:00:00Z'},'spec':{'type':'NodePort',"
        + "'clusterIP':'10.96.1.5','selector':{'tier':'f','app':'web'},'ports':[{'port':80,'protocol':'TCP',"
        + "'nodePort':30080},{'port':53,'protocol':'UDP'}]}}");
    JsonNode table = TableRenderer.render(Kinds.SERVICE, List.of(svc), null, null, NOW);
    assertEquals(List.of("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"),
        table.get("columnDefinitions").findValuesAsText("name"));
    assertEquals(1, table.at("/columnDefinitions/6/priority").asInt(), "SELECTOR only with -o wide");
    assertEquals(json("['web','NodePort','10.96.1.5','<none>','80:30080/TCP,53/UDP','3h','app=web,tier=f']").toString(),
        table.at("/rows/0/cells").toString());
    JsonNode headless = json("{'metadata':{'name':'db'},'spec':{'type':'ClusterIP','clusterIP':'None'}}");
    assertEquals("None", TableRenderer.render(Kinds.SERVICE, List.of(headless), null, null, NOW)
        .at("/rows/0/cells/2").asText());
    JsonNode lb = json("{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIP':'10.96.1.6'}}");
    assertEquals("<pending>", TableRenderer.render(Kinds.SERVICE, List.of(lb), null, null, NOW)
        .at("/rows/0/cells/3").asText());

    JsonNode ep = json("{'metadata':{'name':'web'},'subsets':[{'addresses':[{'ip':'10.0.0.1'},{'ip':'10.0.0.2'}],"
        + "'notReadyAddresses':[{'ip':'10.0.0.9'}],'ports':[{'port':8080},{'port':9090}]}]}");
    assertEquals("10.0.0.1:8080,10.0.0.1:9090,10.0.0.2:8080 + 1 more...",
        TableRenderer.render(Kinds.ENDPOINTS, List.of(ep), null, null, NOW).at("/rows/0/cells/1").asText());
    JsonNode slice = json("{'metadata':{'name':'web-abc'},'addressType':'IPv4','ports':[{'port':8080}],"
        + "'endpoints':[{'addresses':['10.0.0.1']},{'addresses':['10.0.0.2']}]}");
    assertEquals(json("['web-abc','IPv4','8080','10.0.0.1,10.0.0.2','<unknown>']").toString(),
        TableRenderer.render(Kinds.ENDPOINT_SLICE, List.of(slice), null, null, NOW).at("/rows/0/cells").toString());
  }

  @Test
  void nodeJobQuotaAndEventColumns() {
    JsonNode node = json("{'metadata':{'name':'n1','labels':{'node-role.kubernetes.io/control-plane':''}},"
        + "'spec':{'unschedulable':true},'status':{'conditions':[{'type':'Ready','status':'True'}],"
        + "'addresses':[{'type':'InternalIP','address':'192.168.1.4'}],'nodeInfo':{'kubeletVersion':'v1.34.0',"
        + "'osImage':'Debian','kernelVersion':'6.1','containerRuntimeVersion':'runc://1.2'}}}");
    assertEquals(json("['n1','Ready,SchedulingDisabled','control-plane','<unknown>','v1.34.0','192.168.1.4','<none>',"
        + "'Debian','6.1','runc://1.2']").toString(),
        TableRenderer.render(Kinds.NODE, List.of(node), null, null, NOW).at("/rows/0/cells").toString());
    JsonNode job = json("{'metadata':{'name':'pi'},'spec':{'completions':3,'template':{'spec':{'containers':"
        + "[{'name':'c','image':'busybox'}]}}},'status':{'succeeded':3,'startTime':'2026-01-01T11:00:00Z',"
        + "'completionTime':'2026-01-01T11:00:42Z','conditions':[{'type':'Complete','status':'True'}]}}");
    assertEquals(json("['pi','Complete','3/3','42s','<unknown>','c','busybox','<none>']").toString(),
        TableRenderer.render(Kinds.JOB, List.of(job), null, null, NOW).at("/rows/0/cells").toString());
    JsonNode quota = json("{'metadata':{'name':'q'},'status':{'hard':{'pods':'10','limits.cpu':'2'},"
        + "'used':{'pods':'1','limits.cpu':'500m'}}}");
    assertEquals(json("['q','<unknown>','pods: 1/10','limits.cpu: 500m/2']").toString(),
        TableRenderer.render(Kinds.RESOURCE_QUOTA, List.of(quota), null, null, NOW).at("/rows/0/cells").toString());
    JsonNode event = json("{'metadata':{'name':'e1'},'type':'Normal','reason':'Pulled','message':'done',"
        + "'involvedObject':{'kind':'Pod','name':'web'},'count':3,'firstTimestamp':'2026-01-01T10:00:00Z',"
        + "'lastTimestamp':'2026-01-01T11:59:00Z','source':{'component':'kubelet'}}");
    JsonNode events = TableRenderer.render(Kinds.EVENT, List.of(event), null, null, NOW);
    assertEquals("Last Seen", events.at("/columnDefinitions/0/name").asText());
    assertEquals(json("['60s (x3 over 120m)','Normal','Pulled','pod/web','','kubelet','done','120m',3,'e1']").toString(),
        events.at("/rows/0/cells").toString());
  }

  @Test
  void cronJobAndPriorityClassColumnsAsKubectlPrintsThem() {
    JsonNode cj = json("{'metadata':{'name':'nightly','creationTimestamp':'2026-01-01T10:00:00Z'},"
        + "'spec':{'schedule':'0 3 * * *','timeZone':'Europe/Paris','suspend':false,'jobTemplate':{'spec':"
        + "{'template':{'spec':{'containers':[{'name':'c','image':'busybox'}]}}}}},"
        + "'status':{'active':[{'name':'nightly-1'}],'lastScheduleTime':'2026-01-01T11:55:00Z'}}");
    JsonNode table = TableRenderer.render(Kinds.CRON_JOB, List.of(cj), null, null, NOW);
    assertEquals(List.of("Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age", "Containers",
        "Images", "Selector"), table.at("/columnDefinitions").findValuesAsText("name"));
    assertEquals(json("['nightly','0 3 * * *','Europe/Paris','False',1,'5m','120m','c','busybox','<none>']").toString(),
        table.at("/rows/0/cells").toString());
    JsonNode never = json("{'metadata':{'name':'new'},'spec':{'schedule':'@hourly'}}");
    assertEquals(json("['new','@hourly','<none>','<unset>',0,'<none>','<unknown>','','','<none>']").toString(),
        TableRenderer.render(Kinds.CRON_JOB, List.of(never), null, null, NOW).at("/rows/0/cells").toString());
    JsonNode pc = json("{'metadata':{'name':'system-node-critical','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'value':2000001000,'preemptionPolicy':'PreemptLowerPriority'}");
    assertEquals(json("['system-node-critical',2000001000,'false','60m','PreemptLowerPriority']").toString(),
        TableRenderer.render(Kinds.PRIORITY_CLASS, List.of(pc), null, null, NOW).at("/rows/0/cells").toString());
  }

  @Test
  void daemonSetAndControllerRevisionColumnsAsKubectlPrintsThem() {
    JsonNode ds = json("{'metadata':{'name':'agent','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'selector':{'matchLabels':{'app':'agent'},'matchExpressions':[{'key':'tier','operator':'In',"
        + "'values':['b','a']}]},'template':{'spec':{'nodeSelector':{'role':'edge','disk':'ssd'},"
        + "'containers':[{'name':'a','image':'agent:1'},{'name':'b','image':'sidecar:2'}]}}},"
        + "'status':{'desiredNumberScheduled':5,'currentNumberScheduled':4,'numberReady':3,'updatedNumberScheduled':2,"
        + "'numberAvailable':1}}");
    JsonNode table = TableRenderer.render(Kinds.DAEMON_SET, List.of(ds), null, null, NOW);
    assertEquals("[\"Name\",\"Desired\",\"Current\",\"Ready\",\"Up-to-date\",\"Available\",\"Node Selector\","
        + "\"Age\",\"Containers\",\"Images\",\"Selector\"]", names(table));
    assertEquals(json("['agent',5,4,3,2,1,'disk=ssd,role=edge','60m','a,b','agent:1,sidecar:2',"
        + "'app=agent,tier in (a,b)']").toString(), table.at("/rows/0/cells").toString());
    JsonNode rev = json("{'metadata':{'name':'agent-5d8f','creationTimestamp':'2026-01-01T11:59:00Z',"
        + "'ownerReferences':[{'apiVersion':'apps/v1','kind':'DaemonSet','name':'agent','uid':'u','controller':true}]},"
        + "'revision':3,'data':{}}");
    assertEquals(json("['agent-5d8f','daemonset.apps/agent',3,'60s']").toString(),
        TableRenderer.render(Kinds.CONTROLLER_REVISION, List.of(rev), null, null, NOW).at("/rows/0/cells").toString());
  }

  @Test
  void statefulSetColumnsAsKubectlPrintsThem() {
    JsonNode sts = json("{'metadata':{'name':'web','creationTimestamp':'2026-01-01T11:00:00Z'},"
        + "'spec':{'replicas':3,'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1'},"
        + "{'name':'log','image':'fluent:2'}]}}},'status':{'replicas':3,'readyReplicas':2}}");
    JsonNode table = TableRenderer.render(Kinds.STATEFUL_SET, List.of(sts), null, null, NOW);
    assertEquals("[\"Name\",\"Ready\",\"Age\",\"Containers\",\"Images\"]", names(table));
    assertEquals(json("['web','2/3','60m','nginx,log','nginx:1,fluent:2']").toString(),
        table.at("/rows/0/cells").toString());
  }

  private static String names(JsonNode table) {
    List<String> out = new java.util.ArrayList<>();
    table.path("columnDefinitions").forEach(c -> out.add("\"" + c.path("name").asText() + "\""));
    return "[" + String.join(",", out) + "]";
  }

  @Test
  void continueTokensRoundTripAndRejectGarbage() {
    ContinueToken t = new ContinueToken(42, "ConfigMap/default/a");
    assertEquals(t, ContinueToken.decode(t.encode()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContinueToken.decode("%%%"));
    assertEquals(true, e.getMessage().startsWith("continue key is not valid"));
  }
}
