package io.capstan.logschema.patch;

import static io.capstan.logschema.patch.Json.of;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonMergePatchTest {
  @Test
  void mergesObjectsRecursively() {
    assertEquals(of("{'a':{'b':1,'c':2},'d':3}"),
        JsonMergePatch.apply(of("{'a':{'b':1},'d':3}"), of("{'a':{'c':2}}")));
  }

  @Test
  void nullRemovesMember() {
    assertEquals(of("{'b':2}"), JsonMergePatch.apply(of("{'a':1,'b':2}"), of("{'a':null}")));
  }

  @Test
  void listsAreReplacedWhole() {
    assertEquals(of("{'l':[3]}"), JsonMergePatch.apply(of("{'l':[1,2]}"), of("{'l':[3]}")));
  }

  @Test
  void nonObjectPatchReplacesTarget() {
    assertEquals(of("[1]"), JsonMergePatch.apply(of("{'a':1}"), of("[1]")));
  }

  @Test
  void rfc7386AppendixExample() {
    var target = of("{'title':'Goodbye!','author':{'givenName':'John','familyName':'Doe'},"
        + "'tags':['example','sample'],'content':'This will be unchanged'}");
    var patch = of("{'title':'Hello!','phoneNumber':'+01-123-456-7890','author':{'familyName':null},'tags':['example']}");
    assertEquals(of("{'title':'Hello!','author':{'givenName':'John'},'tags':['example'],"
        + "'content':'This will be unchanged','phoneNumber':'+01-123-456-7890'}"), JsonMergePatch.apply(target, patch));
  }

  @Test
  void inputIsNotModified() {
    var target = of("{'a':{'b':1}}");
    JsonMergePatch.apply(target, of("{'a':{'b':2}}"));
    assertEquals(of("{'a':{'b':1}}"), target);
  }
}
