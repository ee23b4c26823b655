package io.capstan.gateway.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.logschema.kinds.Kinds;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
  private static final Map<String, String> WEB = Map.of("app", "web", "tier", "front", "app.kubernetes.io/name", "x");

  private static boolean sel(String s, Map<String, String> labels) {
    return LabelSelector.parse(s).matches(labels);
  }

  @Test
  void everyOperator() {
    assertTrue(sel("app=web", WEB));
    assertTrue(sel("app==web", WEB));
    assertFalse(sel("app=db", WEB));
    assertTrue(sel("app!=db", WEB));
    assertTrue(sel("missing!=x", WEB), "!= matches objects without the label");
    assertTrue(sel("tier in (front, back)", WEB));
    assertFalse(sel("tier in (back)", WEB));
    assertTrue(sel("tier notin (back)", WEB));
    assertTrue(sel("missing notin (back)", WEB));
    assertTrue(sel("app", WEB));
    assertFalse(sel("!app", WEB));
    assertTrue(sel("!missing", WEB));
    assertTrue(sel("app.kubernetes.io/name=x,tier in (front),!missing", WEB));
    assertFalse(sel("app=web,tier=back", WEB));
    assertTrue(sel("", WEB));
    assertTrue(LabelSelector.parse(" ").isEverything());
  }

  @Test
  void errorsNameTheProblem() {
    SelectorException e = assertThrows(SelectorException.class, () -> LabelSelector.parse("app in web"));
    assertTrue(e.getMessage().contains("expected '('"), e.getMessage());
    e = assertThrows(SelectorException.class, () -> LabelSelector.parse("app >< 3"));
    assertTrue(e.getMessage().contains("expected one of =, ==, !=, in, notin"), e.getMessage());
    e = assertThrows(SelectorException.class, () -> LabelSelector.parse("-bad=1"));
    assertTrue(e.getMessage().contains("invalid label key \"-bad\""), e.getMessage());
    e = assertThrows(SelectorException.class, () -> LabelSelector.parse("a=b,"));
    assertTrue(e.getMessage().contains("expected a label key"), e.getMessage());
  }

  @Test
  void fieldSelectors() {
    var pod = JsonNodeFactory.instance.objectNode();
    pod.putObject("metadata").put("name", "p1").put("namespace", "default");
    pod.putObject("spec").put("nodeName", "node-a");
    pod.putObject("status").put("phase", "Running");
    assertTrue(FieldSelector.parse(Kinds.POD, "spec.nodeName=node-a,status.phase!=Failed").matches(pod));
    assertFalse(FieldSelector.parse(Kinds.POD, "metadata.name==p2").matches(pod));
    assertTrue(FieldSelector.parse(Kinds.POD, "spec.nodeName!=").matches(pod), "scheduled pods");
    SelectorException e = assertThrows(SelectorException.class,
        () -> FieldSelector.parse(Kinds.CONFIG_MAP, "spec.nodeName=a"));
    assertEquals("field label not supported: spec.nodeName", e.getMessage());
    var event = JsonNodeFactory.instance.objectNode();
    event.putObject("involvedObject").put("kind", "Pod").put("name", "p1");
    assertTrue(FieldSelector.parse(Kinds.EVENT, "involvedObject.kind=Pod,involvedObject.name=p1").matches(event));
    assertThrows(SelectorException.class, () -> FieldSelector.parse(Kinds.POD, "nonsense"));
  }
}
