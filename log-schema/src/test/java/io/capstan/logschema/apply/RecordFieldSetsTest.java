package io.capstan.logschema.apply;

import static io.capstan.logschema.apply.ServerSideApplyTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Field sets read from records (what ordinary writes use) are the sets read from the same
 * objects' JSON (what applies use), and an update's ownership comes out the same either way.
 */
class RecordFieldSetsTest {
  private static final String POD = "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','namespace':'n',"
      + "'labels':{'app':'web','tier':'front'},'finalizers':['a','b']},'spec':{'containers':[{'name':'app',"
      + "'image':'nginx','ports':[{'containerPort':80,'protocol':'TCP'}],'env':[{'name':'A','value':'1'}],"
      + "'args':['x','y']}],'tolerations':[{'key':'k','operator':'Exists'}],'nodeSelector':{}}}";

  static Stream<Arguments> updates() {
    return Stream.of(
        Arguments.of("a label changed, one added, one removed",
            POD, POD.replace("'app':'web','tier':'front'", "'app':'api','zone':'z'")),
        Arguments.of("a container's image and a new container",
            POD, POD.replace("'image':'nginx',", "'image':'nginx:2',").replace("}],'tolerations'",
                "},{'name':'side','image':'proxy'}],'tolerations'")),
        Arguments.of("a finalizer dropped and one added",
            POD, POD.replace("['a','b']", "['b','c']")),
        Arguments.of("an atomic list changed",
            POD, POD.replace("['x','y']", "['x']")),
        Arguments.of("a container removed",
            POD.replace("}],'tolerations'", "},{'name':'side','image':'proxy'}],'tolerations'"), POD),
        Arguments.of("a map emptied and a struct removed",
            POD, POD.replace("'labels':{'app':'web','tier':'front'},", "'labels':{},")
                .replace(",'nodeSelector':{}", "")));
  }

  private static IndexedRecord record(Kind kind, ObjectNode json) {
    return KubeJson.fromJson(kind, json).object();
  }

  /** The JSON without apiVersion and kind, which the JSON carries and the record does not (nobody owns them). */
  private static ObjectNode withoutType(IndexedRecord record) {
    ObjectNode json = KubeJson.toJson(record);
    json.remove(List.of("apiVersion", "kind"));
    return json;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("updates")
  void recordsAndJsonGiveTheSameSetsAndOwnership(String name, String beforeJson, String afterJson) {
    Shape shape = Shapes.of(Kinds.POD);
    IndexedRecord before = record(Kinds.POD, json(beforeJson));
    IndexedRecord after = record(Kinds.POD, json(afterJson));
    assertEquals(ObjectFieldSets.of(shape, withoutType(before)), RecordFieldSets.of(shape, before));
    assertEquals(ObjectFieldSets.of(shape, withoutType(after)), RecordFieldSets.of(shape, after));
    FieldSet set = RecordFieldSets.of(shape, after);
    assertEquals(set.toFieldsV1().toString(), set.toFieldsV1Text());

    ServerSideApply.Writer creator = new ServerSideApply.Writer("creator", "v1", "", true, "t1");
    ServerSideApply.Writer editor = new ServerSideApply.Writer("editor", "v1", "", true, "t2");
    List<ManagedEntry> created = ServerSideApply.update(shape, null, KubeJson.toJson(before), List.of(), creator);
    List<ManagedEntry> byJson = ServerSideApply.update(shape, KubeJson.toJson(before), KubeJson.toJson(after),
        created, editor);
    RecordFieldSets.Diff diff = RecordFieldSets.diff(shape, before, after);
    List<ManagedEntry> byRecords = ServerSideApply.update(diff.changed(), diff.removed(), created, editor);
    assertEquals(byJson, byRecords);
    assertTrue(!byJson.equals(created), "the update moved or dropped ownership: " + byJson);
    assertTrue(RecordFieldSets.diff(shape, after, record(Kinds.POD, json(afterJson))).isEmpty(), "no change, no diff");
  }
}
