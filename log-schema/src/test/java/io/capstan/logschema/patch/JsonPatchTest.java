package io.capstan.logschema.patch;

import static io.capstan.logschema.patch.Json.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JsonPatchTest {
  @Test
  void addToObjectAndList() {
    assertEquals(of("{'a':1,'b':2,'l':[0,1,2,3,3]}"),
        JsonPatch.apply(of("{'a':1,'l':[1,3]}"), of("[{'op':'add','path':'/b','value':2},"
            + "{'op':'add','path':'/l/1','value':2},{'op':'add','path':'/l/0','value':0},"
            + "{'op':'add','path':'/l/-','value':3}]")));
  }

  @Test
  void removeReplaceMoveCopy() {
    var result = JsonPatch.apply(of("{'a':{'x':1},'b':2,'l':['p','q']}"), of("["
        + "{'op':'remove','path':'/b'},"
        + "{'op':'replace','path':'/a/x','value':5},"
        + "{'op':'move','from':'/a/x','path':'/m'},"
        + "{'op':'copy','from':'/l/1','path':'/c'},"
        + "{'op':'remove','path':'/l/0'}]"));
    assertEquals(of("{'a':{},'l':['q'],'m':5,'c':'q'}"), result);
  }

  @Test
  void escapedPointerTokens() {
    var result = JsonPatch.apply(of("{'metadata':{'labels':{'app.kubernetes.io/name':'x','a~b':'y'}}}"),
        of("[{'op':'replace','path':'/metadata/labels/app.kubernetes.io~1name','value':'z'},"
            + "{'op':'remove','path':'/metadata/labels/a~0b'}]"));
    assertEquals(of("{'metadata':{'labels':{'app.kubernetes.io/name':'z'}}}"), result);
  }

  @Test
  void testOpPassesAndFails() {
    assertEquals(of("{'a':1}"), JsonPatch.apply(of("{'a':1}"), of("[{'op':'test','path':'/a','value':1.0}]")));
    PatchException e = assertThrows(PatchException.class,
        () -> JsonPatch.apply(of("{'a':1}"), of("[{'op':'test','path':'/a','value':2}]")));
    assertFalse(e.malformed());
    assertTrue(e.getMessage().contains("operation 0 (test /a): test failed"), e.getMessage());
  }

  @Test
  void failingOperationLeavesTargetUntouched() {
    var target = of("{'a':1}");
    assertThrows(PatchException.class, () -> JsonPatch.apply(target,
        of("[{'op':'add','path':'/b','value':2},{'op':'remove','path':'/missing'}]")));
    assertEquals(of("{'a':1}"), target);
  }

  @Test
  void clearErrors() {
    assertMalformed("{'op':'add'}", "[{'op':'add','path':'/a'}]", "missing member \"value\"");
    assertMalformed("{'op':'frob'}", "[{'op':'frob','path':'/a'}]", "unknown op \"frob\"");
    assertMalformed("path", "[{'op':'remove','path':'a'}]", "must be empty or start with /");
    assertMalformed("not array", "{'op':'remove','path':'/a'}", "must be a JSON array");
    PatchException e = assertThrows(PatchException.class,
        () -> JsonPatch.apply(of("{'l':[1]}"), of("[{'op':'replace','path':'/l/5','value':2}]")));
    assertTrue(e.getMessage().contains("index 5 is out of range"), e.getMessage());
    e = assertThrows(PatchException.class,
        () -> JsonPatch.apply(of("{'a':{}}"), of("[{'op':'add','path':'/a/b/c','value':2}]")));
    assertTrue(e.getMessage().contains("no member \"b\""), e.getMessage());
    e = assertThrows(PatchException.class,
        () -> JsonPatch.apply(of("{'a':{}}"), of("[{'op':'move','from':'/a','path':'/a/b'}]")));
    assertTrue(e.getMessage().contains("own children"), e.getMessage());
  }

  private static void assertMalformed(String label, String patch, String expected) {
    PatchException e = assertThrows(PatchException.class, () -> JsonPatch.apply(of("{'a':1}"), of(patch)), label);
    assertTrue(e.malformed(), label);
    assertTrue(e.getMessage().contains(expected), label + ": " + e.getMessage());
  }
}
