package io.capstan.stateviews.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionDiffTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s.replace('\'', '"'));
  }

  @Test
  void namesEachChangedFieldWithItsValuesBeforeAndAfter() throws Exception {
    JsonNode before = json("{'metadata':{'name':'x','resourceVersion':'1','labels':{'app.kubernetes.io/name':'a'}},"
        + "'data':{'mode':'slow','gone':'1'},'spec':{'containers':[{'image':'a:1'}]}}");
    JsonNode after = json("{'metadata':{'name':'x','resourceVersion':'2','labels':{'app.kubernetes.io/name':'b'},"
        + "'managedFields':[{'manager':'kubectl'}]},'data':{'mode':'fast','new':'2'},"
        + "'spec':{'containers':[{'image':'a:2'},{'image':'b:1'}]}}");
    List<VersionDiff.Change> diff = VersionDiff.between(before, after);
    assertEquals(List.of("data.gone", "data.mode", "data.new", "metadata.labels[\"app.kubernetes.io/name\"]",
        "spec.containers[0].image", "spec.containers[1]"), diff.stream().map(VersionDiff.Change::path).toList(),
        "resourceVersion and managedFields are no change of substance: " + diff);
    assertEquals(List.of("remove", "replace", "add", "replace", "replace", "add"),
        diff.stream().map(VersionDiff.Change::op).toList());
    VersionDiff.Change mode = diff.get(1);
    assertEquals("slow", mode.from().asText());
    assertEquals("fast", mode.to().asText());
    assertEquals("{\"image\":\"b:1\"}", diff.get(5).to().toString());
  }

  @Test
  void theSameObjectHasNoDifference() throws Exception {
    JsonNode o = json("{'metadata':{'name':'x'},'data':{'a':'1'}}");
    assertEquals(List.of(), VersionDiff.between(o, o.deepCopy()));
  }
}
