package io.capstan.logschema.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.kinds.Kinds;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The apply semantics of structured-merge-diff, case by case: field sets and their fieldsV1
 * encoding, ownership, sharing, removal, associative-list and set merges, atomic lists, force,
 * status, and conflicts with Apply and Update managers.
 */
class ServerSideApplyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Shape DEPLOYMENT = Shapes.of(Kinds.DEPLOYMENT);
  private static final String T = "2026-12-06T08:00:00Z";

  static ObjectNode json(String singleQuoted) {
    try {
      // Double quotes only ever appear inside single-quoted strings: escape them first.
      return (ObjectNode) JSON.readTree(singleQuoted.replace("\"", "\\\"").replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(singleQuoted, e);
    }
  }

  static ServerSideApply.Writer writer(String manager) {
    return new ServerSideApply.Writer(manager, "apps/v1", "", true, T);
  }

  static ServerSideApply.Writer statusWriter(String manager) {
    return new ServerSideApply.Writer(manager, "apps/v1", "status", true, T);
  }

  static ObjectNode deployment(String spec) {
    return json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default'},"
        + "'spec':" + spec + "}");
  }

  // ---- field sets ----

  static Stream<Arguments> fieldSets() {
    return Stream.of(
        Arguments.of("scalars and granular maps",
            "{'metadata':{'name':'web','labels':{'app':'web'}},'spec':{'replicas':3}}",
            "{'f:metadata':{'f:labels':{'f:app':{}}},'f:spec':{'f:replicas':{}}}"),
        Arguments.of("associative list by merge key, its element and the element's fields",
            "{'spec':{'template':{'spec':{'containers':[{'name':'app','image':'nginx'}]}}}}",
            "{'f:spec':{'f:template':{'f:spec':{'f:containers':{'k:{\"name\":\"app\"}':"
                + "{'.':{},'f:image':{},'f:name':{}}}}}}}"),
        Arguments.of("a set of scalars by value",
            "{'metadata':{'finalizers':['a','b']}}",
            "{'f:metadata':{'f:finalizers':{'v:\"a\"':{},'v:\"b\"':{}}}}"),
        Arguments.of("an atomic list is one field",
            "{'spec':{'template':{'spec':{'tolerations':[{'key':'k','operator':'Exists'}]}}}}",
            "{'f:spec':{'f:template':{'f:spec':{'f:tolerations':{}}}}}"),
        Arguments.of("server-owned metadata and apiVersion/kind are nobody's",
            "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','uid':'u','resourceVersion':'1'},"
                + "'spec':{'paused':true}}",
            "{'f:spec':{'f:paused':{}}}"),
        Arguments.of("an empty struct is a leaf",
            "{'spec':{'strategy':{}}}",
            "{'f:spec':{'f:strategy':{}}}"),
        Arguments.of("container ports are keyed by containerPort and protocol, TCP when left out",
            "{'spec':{'template':{'spec':{'containers':[{'name':'app','ports':[{'containerPort':53},"
                + "{'containerPort':53,'protocol':'UDP'}]}]}}}}",
            "{'f:spec':{'f:template':{'f:spec':{'f:containers':{'k:{\"name\":\"app\"}':{'.':{},'f:name':{},"
                + "'f:ports':{'k:{\"containerPort\":53,\"protocol\":\"TCP\"}':{'.':{},'f:containerPort':{}},"
                + "'k:{\"containerPort\":53,\"protocol\":\"UDP\"}':{'.':{},'f:containerPort':{},"
                + "'f:protocol':{}}}}}}}}}"),
        Arguments.of("topology spread constraints are keyed by topologyKey and whenUnsatisfiable",
            "{'spec':{'template':{'spec':{'topologySpreadConstraints':[{'topologyKey':'zone',"
                + "'whenUnsatisfiable':'DoNotSchedule','maxSkew':1}]}}}}",
            "{'f:spec':{'f:template':{'f:spec':{'f:topologySpreadConstraints':{"
                + "'k:{\"topologyKey\":\"zone\",\"whenUnsatisfiable\":\"DoNotSchedule\"}':{'.':{},"
                + "'f:maxSkew':{},'f:topologyKey':{},'f:whenUnsatisfiable':{}}}}}}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fieldSets")
  void fieldSetOfAnApplyIsEncodedAsFieldsV1(String name, String config, String fieldsV1) {
    ServerSideApply.Applied a = ServerSideApply.apply(DEPLOYMENT, null, json(config), List.of(), writer("m"), false);
    FieldSet set = a.managed().get(0).fields();
    assertEquals(json(fieldsV1), set.toFieldsV1());
    assertEquals(set, FieldSet.fromFieldsV1(set.toFieldsV1()), "fieldsV1 reads back as the same set");
    assertEquals(set.toFieldsV1().toString(), set.toFieldsV1Text(), "the text written directly is the JSON's");
  }

  @Test
  void fieldsV1WithANodeThatIsAlsoAMemberKeepsTheDot() {
    FieldSet set = FieldSet.fromFieldsV1(json("{'f:a':{'.':{},'f:b':{}}}"));
    assertTrue(set.contains(List.of("f:a")));
    assertTrue(set.contains(List.of("f:a", "f:b")));
    assertEquals(json("{'f:a':{'.':{},'f:b':{}}}"), set.toFieldsV1());
  }

  @Test
  void malformedFieldsV1IsRefusedNamingTheElement() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FieldSet.fromFieldsV1(json("{'x:y':{}}")));
    assertTrue(e.getMessage().contains("\"x:y\""), e.getMessage());
  }

  @Test
  void pathsArePrintedAsStructuredMergeDiffPrintsThem() {
    assertEquals(".spec.template.spec.containers[name=\"app\"].image", PathElements.describe(List.of(
        "f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"app\"}", "f:image")));
    assertEquals(".metadata.finalizers[=\"a\"]", PathElements.describe(List.of("f:metadata", "f:finalizers",
        "v:\"a\"")));
  }

  // ---- apply ----

  /** A step of a scenario: who applies (or updates) what, and what is expected. */
  record Step(String manager, boolean update, boolean force, String config, String expectSpec, String conflict) {}

  static Step apply(String manager, String spec, String expectSpec) {
    return new Step(manager, false, false, spec, expectSpec, null);
  }

  static Step force(String manager, String spec, String expectSpec) {
    return new Step(manager, false, true, spec, expectSpec, null);
  }

  static Step conflict(String manager, String spec, String message) {
    return new Step(manager, false, false, spec, null, message);
  }

  static Step update(String manager, String spec, String expectSpec) {
    return new Step(manager, true, false, spec, expectSpec, null);
  }

  static Stream<Arguments> scenarios() {
    return Stream.of(
        Arguments.of("create on apply", List.of(
            apply("a", "{'replicas':2}", "{'replicas':2}"))),
        Arguments.of("the same value shares the field", List.of(
            apply("a", "{'replicas':2}", "{'replicas':2}"),
            apply("b", "{'replicas':2}", "{'replicas':2}"),
            apply("a", "{}", "{'replicas':2}"))),
        Arguments.of("another value conflicts", List.of(
            apply("a", "{'replicas':2}", "{'replicas':2}"),
            conflict("b", "{'replicas':3}", "Apply failed with 1 conflict: conflict with \"a\": .spec.replicas"))),
        Arguments.of("force takes the field, and the loser no longer removes it", List.of(
            apply("a", "{'replicas':2,'paused':true}", "{'replicas':2,'paused':true}"),
            force("b", "{'replicas':3}", "{'replicas':3,'paused':true}"),
            apply("a", "{}", "{'replicas':3}"))),
        Arguments.of("a field dropped from the configuration is removed when nobody else owns it", List.of(
            apply("a", "{'replicas':2,'paused':true}", "{'replicas':2,'paused':true}"),
            apply("a", "{'replicas':2}", "{'replicas':2}"))),
        Arguments.of("a field dropped while another manager owns it stays", List.of(
            apply("a", "{'replicas':2,'paused':true}", "{'replicas':2,'paused':true}"),
            apply("b", "{'paused':true}", "{'replicas':2,'paused':true}"),
            apply("a", "{'replicas':2}", "{'replicas':2,'paused':true}"))),
        Arguments.of("associative lists merge by key; each manager's elements are its own", List.of(
            apply("a", "{'template':{'spec':{'containers':[{'name':'app','image':'app:1'}]}}}",
                "{'template':{'spec':{'containers':[{'name':'app','image':'app:1'}]}}}"),
            apply("b", "{'template':{'spec':{'containers':[{'name':'sidecar','image':'proxy:1'}]}}}",
                "{'template':{'spec':{'containers':[{'name':'app','image':'app:1'},{'name':'sidecar','image':'proxy:1'}]}}}"),
            apply("a", "{'template':{'spec':{'containers':[{'name':'app','image':'app:2'}]}}}",
                "{'template':{'spec':{'containers':[{'name':'app','image':'app:2'},{'name':'sidecar','image':'proxy:1'}]}}}"),
            conflict("b", "{'template':{'spec':{'containers':[{'name':'app','image':'app:3'}]}}}",
                "Apply failed with 1 conflict: conflict with \"a\": .spec.template.spec.containers[name=\"app\"].image"),
            apply("b", "{}",
                "{'template':{'spec':{'containers':[{'name':'app','image':'app:2'}]}}}"))),
        Arguments.of("a port without protocol is the TCP port: the same element, a UDP one is another", List.of(
            apply("a", "{'template':{'spec':{'containers':[{'name':'app','ports':[{'containerPort':53,"
                + "'protocol':'TCP','name':'dns'}]}]}}}",
                "{'template':{'spec':{'containers':[{'name':'app','ports':[{'containerPort':53,'protocol':'TCP',"
                + "'name':'dns'}]}]}}}"),
            conflict("b", "{'template':{'spec':{'containers':[{'name':'app','ports':[{'containerPort':53,"
                + "'name':'other'}]}]}}}",
                "Apply failed with 1 conflict: conflict with \"a\": .spec.template.spec.containers[name=\"app\"]"
                + ".ports[containerPort=53,protocol=\"TCP\"].name"),
            apply("b", "{'template':{'spec':{'containers':[{'name':'app','ports':[{'containerPort':53,"
                + "'protocol':'UDP','name':'dns-udp'}]}]}}}",
                "{'template':{'spec':{'containers':[{'name':'app','ports':[{'containerPort':53,'protocol':'TCP',"
                + "'name':'dns'},{'containerPort':53,'protocol':'UDP','name':'dns-udp'}]}]}}}"))),
        Arguments.of("an atomic list is replaced whole and owned whole", List.of(
            apply("a", "{'template':{'spec':{'tolerations':[{'key':'x','operator':'Exists'}]}}}",
                "{'template':{'spec':{'tolerations':[{'key':'x','operator':'Exists'}]}}}"),
            conflict("b", "{'template':{'spec':{'tolerations':[{'key':'y','operator':'Exists'}]}}}",
                "Apply failed with 1 conflict: conflict with \"a\": .spec.template.spec.tolerations"),
            force("b", "{'template':{'spec':{'tolerations':[{'key':'y','operator':'Exists'}]}}}",
                "{'template':{'spec':{'tolerations':[{'key':'y','operator':'Exists'}]}}}"))),
        Arguments.of("an update takes the fields it changes; apply then conflicts with it", List.of(
            apply("a", "{'replicas':2,'paused':true}", "{'replicas':2,'paused':true}"),
            update("hpa", "{'replicas':5,'paused':true}", "{'replicas':5,'paused':true}"),
            conflict("a", "{'replicas':2,'paused':true}",
                "Apply failed with 1 conflict: conflict with \"hpa\" using apps/v1 at " + T + ": .spec.replicas"),
            apply("a", "{'paused':true}", "{'replicas':5,'paused':true}"))),
        Arguments.of("conflicts with several managers are listed by manager", List.of(
            apply("a", "{'replicas':2}", "{'replicas':2}"),
            apply("b", "{'paused':true}", "{'replicas':2,'paused':true}"),
            conflict("c", "{'replicas':1,'paused':false}", "Apply failed with 2 conflicts: conflicts with \"a\":\n"
                + "- .spec.replicas\nconflicts with \"b\":\n- .spec.paused"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void applyScenario(String name, List<Step> steps) {
    ObjectNode live = null;
    List<ManagedEntry> managed = List.of();
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      String where = name + ", step " + (i + 1);
      ObjectNode config = deployment(s.config());
      if (s.update()) {
        managed = ServerSideApply.update(DEPLOYMENT, live, config, managed, writer(s.manager()));
        live = config;
      } else if (s.conflict() != null) {
        ObjectNode before = live;
        List<ManagedEntry> had = managed;
        ApplyConflictException e = assertThrows(ApplyConflictException.class,
            () -> ServerSideApply.apply(DEPLOYMENT, before, config, had, writer(s.manager()), false), where);
        assertEquals(s.conflict(), e.getMessage(), where);
        continue;
      } else {
        ServerSideApply.Applied a = ServerSideApply.apply(DEPLOYMENT, live, config, managed, writer(s.manager()),
            s.force());
        live = a.object();
        managed = a.managed();
      }
      assertEquals(json(s.expectSpec()), live.get("spec"), where);
    }
  }

  @Test
  void forcedFieldsLeaveTheLoserAndAnEmptyEntryGoes() {
    ServerSideApply.Applied a = ServerSideApply.apply(DEPLOYMENT, null, deployment("{'replicas':2}"), List.of(),
        writer("a"), false);
    ServerSideApply.Applied b = ServerSideApply.apply(DEPLOYMENT, a.object(), deployment("{'replicas':3}"),
        a.managed(), writer("b"), true);
    assertEquals(1, b.managed().size(), "a owned nothing else: its entry goes");
    assertEquals("b", b.managed().get(0).manager());
    assertEquals(ManagedEntry.APPLY, b.managed().get(0).operation());
  }

  @Test
  void applyToTheObjectIgnoresStatusAndApplyToStatusTakesOnlyStatus() {
    ObjectNode config = deployment("{'replicas':2}");
    config.set("status", json("{'replicas':7}"));
    ServerSideApply.Applied main = ServerSideApply.apply(DEPLOYMENT, null, config, List.of(), writer("a"), false);
    assertNull(main.object().get("status"));
    assertFalse(main.managed().get(0).fields().toFieldsV1().has("f:status"));

    ObjectNode statusConfig = deployment("{'replicas':9}");
    statusConfig.set("status", json("{'readyReplicas':1}"));
    ServerSideApply.Applied status = ServerSideApply.apply(DEPLOYMENT, main.object(), statusConfig, main.managed(),
        statusWriter("ctl"), false);
    assertEquals(2, status.object().path("spec").path("replicas").asInt(), "spec is not the status's");
    assertEquals(1, status.object().path("status").path("readyReplicas").asInt());
    ManagedEntry ctl = status.managed().get(1);
    assertEquals("status", ctl.subresource());
    assertEquals(json("{'f:status':{'f:readyReplicas':{}}}"), ctl.fields().toFieldsV1());
  }

  /** A Deployment as {@code kubectl apply} (client-side) leaves it: its configuration in the annotation. */
  static ObjectNode clientSideApplied(String spec) {
    ObjectNode config = deployment(spec);
    ObjectNode live = config.deepCopy();
    live.with("metadata").with("annotations").put(ServerSideApply.LAST_APPLIED, config.toString());
    return live;
  }

  @Test
  void kubectlsServerSideApplyTakesOverWhatClientSideApplyLastAppliedAndStillMatches() throws Exception {
    ObjectNode csa = clientSideApplied("{'replicas':2,'paused':true}");
    List<ManagedEntry> managed = ServerSideApply.update(DEPLOYMENT, null, csa, List.of(),
        writer("kubectl-client-side-apply"));
    ObjectNode scaled = csa.deepCopy();
    scaled.with("spec").put("replicas", 5);
    managed = ServerSideApply.update(DEPLOYMENT, csa, scaled, managed, writer("hpa"));

    // replicas no longer has the last-applied value (the hpa changed it): still a conflict, and the only one
    List<ManagedEntry> had = managed;
    ApplyConflictException e = assertThrows(ApplyConflictException.class, () -> ServerSideApply.apply(DEPLOYMENT,
        scaled, deployment("{'replicas':3,'paused':false}"), had, writer("kubectl"), false));
    assertEquals("Apply failed with 1 conflict: conflict with \"hpa\" using apps/v1 at " + T + ": .spec.replicas",
        e.getMessage());
    // another manager than kubectl's gets no such migration
    assertThrows(ApplyConflictException.class, () -> ServerSideApply.apply(DEPLOYMENT, scaled,
        deployment("{'paused':false}"), had, writer("argocd"), false));

    ObjectNode config = deployment("{'paused':false}");
    ServerSideApply.Applied a = ServerSideApply.apply(DEPLOYMENT, scaled, config, managed, writer("kubectl"), false);
    assertEquals(json("{'replicas':5,'paused':false}"), a.object().get("spec"));
    ManagedEntry kubectl = a.managed().stream().filter(m -> m.manager().equals("kubectl")).findFirst().orElseThrow();
    assertEquals(json("{'f:spec':{'f:paused':{}}}"), kubectl.fields().toFieldsV1());
    assertFalse(a.managed().stream().filter(m -> m.manager().equals("kubectl-client-side-apply")).findFirst()
        .orElseThrow().fields().toFieldsV1().path("f:spec").has("f:paused"), "taken from client-side apply");
    assertEquals(config, JSON.readTree(a.object().at("/metadata/annotations").path(ServerSideApply.LAST_APPLIED)
        .asText()), "the annotation follows what kubectl applied");
  }

  @Test
  void setsMergeAsUnionsAndAValueDroppedGoesOnlyWhenUnowned() {
    Shape shape = DEPLOYMENT;
    ObjectNode a1 = json("{'metadata':{'name':'web','finalizers':['x','y']}}");
    ServerSideApply.Applied a = ServerSideApply.apply(shape, null, a1, List.of(), writer("a"), false);
    ServerSideApply.Applied b = ServerSideApply.apply(shape, a.object(),
        json("{'metadata':{'name':'web','finalizers':['y','z']}}"), a.managed(), writer("b"), false);
    assertEquals(JSON.valueToTree(List.of("x", "y", "z")), b.object().path("metadata").path("finalizers"));
    ServerSideApply.Applied again = ServerSideApply.apply(shape, b.object(),
        json("{'metadata':{'name':'web','finalizers':[]}}"), b.managed(), writer("a"), false);
    assertEquals(JSON.valueToTree(List.of("y", "z")), again.object().path("metadata").path("finalizers"),
        "x was a's alone; y is b's too");
  }

  @Test
  void updateEntriesRecordTheChangedFieldsAndTakeThemFromOthers() {
    ObjectNode v1 = deployment("{'replicas':1,'paused':false}");
    List<ManagedEntry> created = ServerSideApply.update(DEPLOYMENT, null, v1, List.of(), writer("kubectl-create"));
    assertEquals(json("{'f:spec':{'f:paused':{},'f:replicas':{}}}"), created.get(0).fields().toFieldsV1());
    assertEquals(ManagedEntry.UPDATE, created.get(0).operation());
    ObjectNode v2 = deployment("{'replicas':4,'paused':false}");
    List<ManagedEntry> scaled = ServerSideApply.update(DEPLOYMENT, v1, v2, created, writer("hpa"));
    assertEquals(json("{'f:spec':{'f:paused':{}}}"), scaled.get(0).fields().toFieldsV1());
    assertEquals(json("{'f:spec':{'f:replicas':{}}}"), scaled.get(1).fields().toFieldsV1());
    assertTrue(ServerSideApply.update(DEPLOYMENT, v2, v2.deepCopy(), scaled, writer("x")) == scaled,
        "no change: the same entries");
  }

  @Test
  void updateEntriesBeyondTenFoldIntoAncientChanges() {
    ObjectNode live = deployment("{'replicas':0}");
    List<ManagedEntry> managed = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      ObjectNode next = live.deepCopy();
      ((ObjectNode) next.get("metadata")).with("labels").put("l" + i, "v");
      ServerSideApply.Writer w = new ServerSideApply.Writer("m" + i, "apps/v1", "", true,
          String.format("2026-12-06T08:00:%02dZ", i));
      managed = new ArrayList<>(ServerSideApply.update(DEPLOYMENT, live, next, managed, w));
      live = next;
    }
    assertEquals(ServerSideApply.MAX_UPDATE_ENTRIES, managed.size());
    assertEquals(ServerSideApply.ANCIENT_CHANGES, managed.get(0).manager());
    assertTrue(managed.get(0).fields().contains(List.of("f:metadata", "f:labels", "f:l1")));
    assertTrue(managed.get(0).fields().contains(List.of("f:metadata", "f:labels", "f:l3")));
    assertEquals("m12", managed.get(managed.size() - 1).manager());
  }

  // ---- custom kinds ----

  private static final JsonNode CRD_SCHEMA = json("{'type':'object','properties':{"
      + "'spec':{'type':'object','properties':{"
      + "'ports':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':['port','protocol'],"
      + "'items':{'type':'object','properties':{'port':{'type':'integer'},'protocol':{'type':'string'},"
      + "'name':{'type':'string'}}}},"
      + "'tags':{'type':'array','x-kubernetes-list-type':'set','items':{'type':'string'}},"
      + "'selector':{'type':'object','x-kubernetes-map-type':'atomic','additionalProperties':{'type':'string'}},"
      + "'env':{'type':'object','additionalProperties':{'type':'string'}}}}}}");

  @Test
  void customKindsMergeByTheirSchemasListAndMapTypes() {
    Shape shape = Shapes.ofOpenApi(CRD_SCHEMA, true);
    ObjectNode a = json("{'metadata':{'name':'x','labels':{'k':'v'}},'spec':{'ports':[{'port':80,'protocol':'TCP',"
        + "'name':'http'}],'tags':['a'],'selector':{'app':'x'},'env':{'A':'1'}}}");
    ServerSideApply.Applied first = ServerSideApply.apply(shape, null, a, List.of(), writer("a"), false);
    assertEquals(json("{'f:metadata':{'f:labels':{'f:k':{}}},'f:spec':{'f:env':{'f:A':{}},"
        + "'f:ports':{'k:{\"port\":80,\"protocol\":\"TCP\"}':{'.':{},'f:name':{},'f:port':{},'f:protocol':{}}},"
        + "'f:selector':{},'f:tags':{'v:\"a\"':{}}}}"), first.managed().get(0).fields().toFieldsV1());
    ObjectNode b = json("{'metadata':{'name':'x'},'spec':{'ports':[{'port':80,'protocol':'UDP'}],'tags':['b'],"
        + "'env':{'B':'2'}}}");
    ServerSideApply.Applied second = ServerSideApply.apply(shape, first.object(), b, first.managed(), writer("b"),
        false);
    JsonNode spec = second.object().get("spec");
    assertEquals(2, spec.get("ports").size(), "port 80/UDP is another element than 80/TCP");
    assertEquals(JSON.valueToTree(List.of("a", "b")), spec.get("tags"));
    assertEquals(json("{'A':'1','B':'2'}"), spec.get("env"));
    ApplyConflictException e = assertThrows(ApplyConflictException.class, () -> ServerSideApply.apply(shape,
        second.object(), json("{'metadata':{'name':'x'},'spec':{'selector':{'app':'y'}}}"), second.managed(),
        writer("b"), false));
    assertEquals("Apply failed with 1 conflict: conflict with \"a\": .spec.selector", e.getMessage());
  }
}
