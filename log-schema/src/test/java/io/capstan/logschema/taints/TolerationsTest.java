package io.capstan.logschema.taints;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.Taint;
import io.capstan.api.Toleration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Toleration matching as core/v1's ToleratesTaint and GetMatchingTolerations. */
class TolerationsTest {
  private static final Taint UNREACHABLE = Taint.newBuilder().setKey(TaintKeys.UNREACHABLE)
      .setEffect(TaintKeys.NO_EXECUTE).build();
  private static final Taint NOT_READY = Taint.newBuilder().setKey(TaintKeys.NOT_READY)
      .setEffect(TaintKeys.NO_EXECUTE).build();

  private static Toleration exists(String key, String effect, Long seconds) {
    return Toleration.newBuilder().setKey(key).setOperator("Exists").setEffect(effect).setTolerationSeconds(seconds)
        .build();
  }

  @Test
  void keyEffectOperatorAndValue() {
    assertTrue(Tolerations.tolerates(exists(TaintKeys.UNREACHABLE, "NoExecute", 300L), UNREACHABLE));
    assertTrue(Tolerations.tolerates(exists(TaintKeys.UNREACHABLE, null, null), UNREACHABLE), "no effect: every effect");
    assertTrue(Tolerations.tolerates(exists(null, null, null), UNREACHABLE), "empty key with Exists: every taint");
    assertFalse(Tolerations.tolerates(exists(TaintKeys.UNREACHABLE, "NoSchedule", null), UNREACHABLE));
    assertFalse(Tolerations.tolerates(exists(TaintKeys.NOT_READY, "NoExecute", null), UNREACHABLE));
    Taint valued = Taint.newBuilder().setKey("dedicated").setValue("gpu").setEffect("NoExecute").build();
    assertTrue(Tolerations.tolerates(Toleration.newBuilder().setKey("dedicated").setValue("gpu").build(), valued),
        "Equal is the default operator");
    assertFalse(Tolerations.tolerates(Toleration.newBuilder().setKey("dedicated").setValue("cpu").build(), valued));
    assertFalse(Tolerations.tolerates(Toleration.newBuilder().setOperator("Equal").build(), valued),
        "Equal needs a key");
  }

  @Test
  void matchingNamesTheFirstTolerationOfEachTaintOrNothing() {
    Toleration a = exists(TaintKeys.UNREACHABLE, "NoExecute", 2L);
    Toleration b = exists(TaintKeys.UNREACHABLE, "NoExecute", 100L);
    Toleration c = exists(TaintKeys.NOT_READY, "NoExecute", null);
    assertEquals(Optional.of(List.of(a, c)), Tolerations.matching(List.of(UNREACHABLE, NOT_READY), List.of(a, b, c)));
    assertEquals(Optional.empty(), Tolerations.matching(List.of(UNREACHABLE, NOT_READY), List.of(a, b)));
    assertEquals(Optional.of(List.of()), Tolerations.matching(List.of(), null));
    assertEquals(Optional.empty(), Tolerations.matching(List.of(UNREACHABLE), null));
  }
}
