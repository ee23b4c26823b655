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
    assertEquals(json("['l','2d']"), TableRenderer.render(Kinds.LEASE, List.of(lease), null, null, NOW)
        .at("/rows/0/cells"));
  }

  @Test
  void continueTokensRoundTripAndRejectGarbage() {
    ContinueToken t = new ContinueToken(42, "ConfigMap/default/a");
    assertEquals(t, ContinueToken.decode(t.encode()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ContinueToken.decode("%%%"));
    assertEquals(true, e.getMessage().startsWith("continue key is not valid"));
  }
}
