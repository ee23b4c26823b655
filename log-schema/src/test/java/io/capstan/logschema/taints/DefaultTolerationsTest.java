package io.capstan.logschema.taints;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.PodSpec;
import io.capstan.api.Toleration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DefaultTolerationSeconds: five minutes of not-ready and unreachable unless the pod says otherwise. */
class DefaultTolerationsTest {
  private static PodSpec spec(List<Toleration> tolerations) {
    return PodSpec.newBuilder().setContainers(List.of()).setTolerations(tolerations).build();
  }

  @Test
  void aPodWithoutThemGetsBothForThreeHundredSeconds() {
    PodSpec s = spec(null);
    assertTrue(DefaultTolerations.apply(s));
    assertEquals(List.of(TaintKeys.NOT_READY, TaintKeys.UNREACHABLE), s.getTolerations().stream().map(Toleration::getKey)
        .toList());
    for (Toleration t : s.getTolerations()) {
      assertEquals("Exists", t.getOperator());
      assertEquals("NoExecute", t.getEffect());
      assertEquals(300L, t.getTolerationSeconds());
    }
  }

  @Test
  void explicitTolerationsAreKeptAndNotDoubled() {
    Toleration mine = Toleration.newBuilder().setKey(TaintKeys.UNREACHABLE).setOperator("Exists")
        .setEffect("NoExecute").setTolerationSeconds(2L).build();
    Toleration other = Toleration.newBuilder().setKey("dedicated").setValue("gpu").setEffect("NoSchedule").build();
    PodSpec s = spec(List.of(other, mine));
    assertTrue(DefaultTolerations.apply(s));
    assertEquals(List.of(other, mine, Toleration.newBuilder().setKey(TaintKeys.NOT_READY).setOperator("Exists")
        .setEffect("NoExecute").setTolerationSeconds(300L).build()), s.getTolerations());
    PodSpec everything = spec(List.of(Toleration.newBuilder().setOperator("Exists").build()));
    assertFalse(DefaultTolerations.apply(everything), "tolerating every taint covers both");
    assertEquals(1, everything.getTolerations().size());
    PodSpec onlySchedule = spec(List.of(Toleration.newBuilder().setOperator("Exists").setEffect("NoSchedule").build()));
    assertTrue(DefaultTolerations.apply(onlySchedule), "a NoSchedule toleration does not count");
    assertEquals(3, onlySchedule.getTolerations().size());
  }
}
