package io.capstan.controllers.hpa;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.capstan.api.HPAScalingRules;
import io.capstan.api.HorizontalPodAutoscalerBehavior;
import io.capstan.controllers.hpa.ScaleNormalizer.Condition;
import io.capstan.controllers.hpa.ScaleNormalizer.Result;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Stabilization windows, rate limits and bounds as kube's horizontal controller applies them, with its conditions. */
class ScaleNormalizerTest {
  static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");
  static final Condition READY = new Condition("True", "ReadyForNewScale", "recommended size matches current size");
  static final Condition WITHIN = new Condition("False", "DesiredWithinRange",
      "the desired count is within the acceptable range");

  final ScaleNormalizer normalizer = new ScaleNormalizer(Duration.ofMinutes(5));

  @Test
  void withoutBehaviorAScaleDownWaitsOutTheWindow() {
    assertEquals(new Result(5, READY, WITHIN), normalizer.normalize(null, 5, 5, 1, 10, T0));
    Result held = normalizer.normalize(null, 5, 2, 1, 10, T0.plusSeconds(60));
    assertEquals(5, held.replicas());
    assertEquals(new Condition("True", "ScaleDownStabilized",
        "recent recommendations were higher than current one, applying the highest recent recommendation"),
        held.ableToScale());
    // five minutes after the recommendation of 5, only 2s remain in the window
    assertEquals(new Result(2, READY, WITHIN), normalizer.normalize(null, 5, 2, 1, 10, T0.plusSeconds(301)));
  }

  @Test
  void withoutBehaviorScaleUpIsAtMostDoubleOrFourAndWithinBounds() {
    assertEquals(new Result(4, READY, new Condition("True", "ScaleUpLimit",
        "the desired replica count is increasing faster than the maximum scale rate")),
        normalizer.normalize(null, 1, 10, 1, 10, T0));
    assertEquals(new Result(5, READY, new Condition("True", "TooManyReplicas",
        "the desired replica count is more than the maximum replica count")),
        new ScaleNormalizer(Duration.ZERO).normalize(null, 3, 10, 1, 5, T0));
    assertEquals(new Result(2, READY, new Condition("True", "TooFewReplicas",
        "the desired replica count is less than the minimum replica count")),
        new ScaleNormalizer(Duration.ZERO).normalize(null, 3, 1, 2, 5, T0));
  }

  @Test
  void behaviorRateLimitsScaleUpPerPeriod() {
    HorizontalPodAutoscalerBehavior behavior = new HorizontalPodAutoscalerBehavior();
    Condition limited = new Condition("True", "ScaleUpLimit",
        "the desired replica count is increasing faster than the maximum scale rate");
    // kube's default scale-up: the larger of +4 pods and +100% per 15 s
    assertEquals(new Result(6, READY, limited), normalizer.normalize(behavior, 2, 20, 1, 20, T0));
    normalizer.scaled(behavior, 2, 6, T0);
    // within the same 15 s the period started at 2: still 6
    assertEquals(6, normalizer.normalize(behavior, 6, 20, 1, 20, T0.plusSeconds(5)).replicas());
    // a period later it starts at 6: +100% is 12
    Result r = normalizer.normalize(behavior, 6, 20, 1, 20, T0.plusSeconds(16));
    assertEquals(12, r.replicas());
    assertEquals(limited, r.scalingLimited());
  }

  @Test
  void behaviorWindowsStabilizeBothWays() {
    HorizontalPodAutoscalerBehavior behavior = HorizontalPodAutoscalerBehavior.newBuilder()
        .setScaleUp(HPAScalingRules.newBuilder().setStabilizationWindowSeconds(60).build())
        .setScaleDown(HPAScalingRules.newBuilder().setStabilizationWindowSeconds(10).build()).build();
    assertEquals(3, normalizer.normalize(behavior, 2, 3, 1, 10, T0).replicas());
    Result up = normalizer.normalize(behavior, 3, 8, 1, 10, T0.plusSeconds(10));
    assertEquals(3, up.replicas(), "the lowest recommendation of the last 60 s");
    assertEquals(new Condition("True", "ScaleUpStabilized",
        "recent recommendations were lower than current one, applying the lowest recent recommendation"),
        up.ableToScale());
    // a scale-down window of 10 s: a minute later the 8 is gone from it
    assertEquals(new Result(1, READY, WITHIN), normalizer.normalize(behavior, 3, 1, 1, 10, T0.plusSeconds(80)));
  }

  @Test
  void aDisabledScaleDownNeverScalesDown() {
    HorizontalPodAutoscalerBehavior behavior = HorizontalPodAutoscalerBehavior.newBuilder()
        .setScaleDown(HPAScalingRules.newBuilder().setStabilizationWindowSeconds(0).setSelectPolicy("Disabled").build())
        .build();
    assertEquals(new Result(5, READY, new Condition("True", "ScaleDownLimit",
        "the desired replica count is decreasing faster than the maximum scale rate")),
        normalizer.normalize(behavior, 5, 1, 1, 10, T0));
  }
}
