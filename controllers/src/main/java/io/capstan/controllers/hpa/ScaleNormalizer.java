package io.capstan.controllers.hpa;

import io.capstan.api.HPAScalingPolicy;
import io.capstan.api.HPAScalingRules;
import io.capstan.api.HorizontalPodAutoscalerBehavior;
import io.capstan.logschema.defaults.AutoscalerDefaults;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One autoscaler's memory between syncs and what kube's controller does with a recommendation
 * before it scales: the stabilization windows (the highest recommendation of the scale-down
 * window, the lowest of the scale-up window), then the rate limits and the replica bounds, with
 * the AbleToScale and ScalingLimited conditions they set. An autoscaler without behavior gets
 * kube's older rules: only the scale-down window (--horizontal-pod-autoscaler-downscale-stabilization)
 * and a scale-up of at most max(2 × current, 4).
 */
public final class ScaleNormalizer {
  /** A condition's status, reason and message as kube's controller sets it. */
  public record Condition(String status, String reason, String message) {}

  /** The replica count to scale to and the conditions that explain it. */
  public record Result(int replicas, Condition ableToScale, Condition scalingLimited) {}

  private record Recommendation(int replicas, Instant at) {}

  private record ScaleEvent(int change, Instant at) {}

  private final Duration downscaleStabilization;
  private final List<Recommendation> recommendations = new ArrayList<>();
  private final List<ScaleEvent> scaleUps = new ArrayList<>();
  private final List<ScaleEvent> scaleDowns = new ArrayList<>();

  public ScaleNormalizer(Duration downscaleStabilization) {
    this.downscaleStabilization = downscaleStabilization;
  }

  /** The count to scale to from the calculator's desired count. */
  public Result normalize(HorizontalPodAutoscalerBehavior behavior, int current, int desired, int min, int max,
      Instant now) {
    return behavior == null ? withoutBehavior(current, desired, min, max, now)
        : withBehavior(behavior, current, desired, min, max, now);
  }

  /** Remembers a rescale for the rate limits of behavior policies (kube's storeScaleEvent). */
  public void scaled(HorizontalPodAutoscalerBehavior behavior, int from, int to, Instant now) {
    if (behavior == null || from == to) {
      return;
    }
    HPAScalingRules rules = to > from ? AutoscalerDefaults.scaleUp(behavior.getScaleUp())
        : AutoscalerDefaults.scaleDown(behavior.getScaleDown());
    List<ScaleEvent> events = to > from ? scaleUps : scaleDowns;
    Instant cutoff = now.minusSeconds(longestPeriod(rules));
    events.removeIf(e -> e.at().isBefore(cutoff));
    events.add(new ScaleEvent(Math.abs(to - from), now));
  }

  private Result withoutBehavior(int current, int desired, int min, int max, Instant now) {
    Instant cutoff = now.minus(downscaleStabilization);
    recommendations.removeIf(r -> r.at().isBefore(cutoff));
    recommendations.add(new Recommendation(desired, now));
    int stabilized = desired;
    for (Recommendation r : recommendations) {
      stabilized = Math.max(stabilized, r.replicas());
    }
    Condition able = stabilized != desired
        ? new Condition("True", "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation")
        : new Condition("True", "ReadyForNewScale", "recommended size matches current size");
    int scaleUpLimit = Math.max(2 * current, 4);
    int maxAllowed;
    String reason;
    String message;
    if (max > scaleUpLimit) {
      maxAllowed = scaleUpLimit;
      reason = "ScaleUpLimit";
      message = "the desired replica count is increasing faster than the maximum scale rate";
    } else {
      maxAllowed = max;
      reason = "TooManyReplicas";
      message = "the desired replica count is more than the maximum replica count";
    }
    if (stabilized < min) {
      return new Result(min, able, new Condition("True", "TooFewReplicas",
          "the desired replica count is less than the minimum replica count"));
    }
    if (stabilized > maxAllowed) {
      return new Result(maxAllowed, able, new Condition("True", reason, message));
    }
    return new Result(stabilized, able, withinRange("False"));
  }

  private Result withBehavior(HorizontalPodAutoscalerBehavior behavior, int current, int desired, int min, int max,
      Instant now) {
    HPAScalingRules up = AutoscalerDefaults.scaleUp(behavior.getScaleUp());
    HPAScalingRules down = AutoscalerDefaults.scaleDown(behavior.getScaleDown());
    Instant upCutoff = now.minusSeconds(up.getStabilizationWindowSeconds());
    Instant downCutoff = now.minusSeconds(down.getStabilizationWindowSeconds());
    int upRecommendation = desired;
    int downRecommendation = desired;
    for (Recommendation r : recommendations) {
      if (r.at().isAfter(upCutoff)) {
        upRecommendation = Math.min(upRecommendation, r.replicas());
      }
      if (r.at().isAfter(downCutoff)) {
        downRecommendation = Math.max(downRecommendation, r.replicas());
      }
    }
    int stabilized = Math.min(Math.max(current, upRecommendation), downRecommendation);
    recommendations.removeIf(r -> r.at().isBefore(upCutoff) && r.at().isBefore(downCutoff));
    recommendations.add(new Recommendation(desired, now));
    Condition able;
    if (stabilized == desired) {
      able = new Condition("True", "ReadyForNewScale", "recommended size matches current size");
    } else if (desired >= current) {
      able = new Condition("True", "ScaleUpStabilized",
          "recent recommendations were lower than current one, applying the lowest recent recommendation");
    } else {
      able = new Condition("True", "ScaleDownStabilized",
          "recent recommendations were higher than current one, applying the highest recent recommendation");
    }
    if (stabilized > current) {
      int limit = Math.max(current, scaleUpLimit(current, up, now));
      boolean rate = max > limit;
      int maxAllowed = rate ? limit : max;
      if (stabilized > maxAllowed) {
        return new Result(maxAllowed, able, rate
            ? new Condition("True", "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate")
            : new Condition("True", "TooManyReplicas", "the desired replica count is more than the maximum replica count"));
      }
    } else if (stabilized < current) {
      int limit = Math.min(current, scaleDownLimit(current, down, now));
      boolean rate = min < limit;
      int minAllowed = rate ? limit : min;
      if (stabilized < minAllowed) {
        return new Result(minAllowed, able, rate
            ? new Condition("True", "ScaleDownLimit",
                "the desired replica count is decreasing faster than the maximum scale rate")
            : new Condition("True", "TooFewReplicas", "the desired replica count is less than the minimum replica count"));
      }
    }
    return new Result(stabilized, able, withinRange("False"));
  }

  private static Condition withinRange(String status) {
    return new Condition(status, "DesiredWithinRange", "the desired count is within the acceptable range");
  }

  /** kube's calculateScaleUpLimitWithScalingRules. */
  private int scaleUpLimit(int current, HPAScalingRules rules, Instant now) {
    if ("Disabled".equals(rules.getSelectPolicy())) {
      return current;
    }
    boolean minChange = "Min".equals(rules.getSelectPolicy());
    int result = minChange ? Integer.MAX_VALUE : Integer.MIN_VALUE;
    for (HPAScalingPolicy p : rules.getPolicies()) {
      int start = current - changed(scaleUps, p.getPeriodSeconds(), now) + changed(scaleDowns, p.getPeriodSeconds(), now);
      int proposed = "Pods".equals(p.getType()) ? start + p.getValue()
          : (int) Math.ceil(start * (1 + p.getValue() / 100.0));
      result = minChange ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  /** kube's calculateScaleDownLimitWithBehaviors. */
  private int scaleDownLimit(int current, HPAScalingRules rules, Instant now) {
    if ("Disabled".equals(rules.getSelectPolicy())) {
      return current;
    }
    boolean minChange = "Min".equals(rules.getSelectPolicy());
    int result = minChange ? Integer.MIN_VALUE : Integer.MAX_VALUE;
    for (HPAScalingPolicy p : rules.getPolicies()) {
      int start = current - changed(scaleUps, p.getPeriodSeconds(), now) + changed(scaleDowns, p.getPeriodSeconds(), now);
      int proposed = "Pods".equals(p.getType()) ? start - p.getValue() : (int) (start * (1 - p.getValue() / 100.0));
      result = minChange ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  /** kube's getReplicasChangePerPeriod: replicas changed by the events within the period before now. */
  private static int changed(List<ScaleEvent> events, int periodSeconds, Instant now) {
    Instant cutoff = now.minusSeconds(periodSeconds);
    int sum = 0;
    for (ScaleEvent e : events) {
      if (e.at().isAfter(cutoff)) {
        sum += e.change();
      }
    }
    return sum;
  }

  private static int longestPeriod(HPAScalingRules rules) {
    int longest = 0;
    for (HPAScalingPolicy p : rules.getPolicies()) {
      longest = Math.max(longest, p.getPeriodSeconds());
    }
    return longest;
  }
}
