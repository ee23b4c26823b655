package io.capstan.logschema.quota;

import io.capstan.api.Pod;
import io.capstan.api.ResourceQuotaSpec;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.resource.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.apache.avro.generic.IndexedRecord;

/**
 * The admission check of one object against one quota, worded as kube-apiserver's ResourceQuota
 * admission plugin words its refusals (the text after {@code pods "x" is forbidden: }):
 * {@code exceeded quota: compute, requested: pods=1,requests.cpu=500m, used: pods=5,requests.cpu=2500m, limited: pods=5,requests.cpu=3}
 * and {@code failed quota: compute: must specify limits.cpu for: web}.
 */
public final class QuotaCheck {
  private QuotaCheck() {}

  /** Whether the quota limits anything this kind of object uses (evaluator.MatchingResources is not empty). */
  public static boolean covers(Kind kind, Map<String, String> hard) {
    return hard != null && !ObjectUsage.matchingResources(kind, hard.keySet()).isEmpty();
  }

  /** Whether the quota tracks this object (evaluator.Matches): it limits what the object uses, and its scopes match. */
  public static boolean covers(Kind kind, ResourceQuotaSpec spec, IndexedRecord object) {
    return spec != null && covers(kind, spec.getHard()) && QuotaScopes.matches(spec, object);
  }

  /**
   * What the object states too little of for this quota (Constraints): for pods, containers that
   * do not state a cpu or memory request or limit the quota tracks. Null when nothing is missing.
   */
  public static String constraintViolation(String quotaName, Kind kind, IndexedRecord object, Map<String, String> hard) {
    if (!(object instanceof Pod pod) || hard == null) {
      return null;
    }
    String missing = ObjectUsage.missingRequests(pod, ObjectUsage.matchingResources(kind, hard.keySet()));
    return missing == null ? null : "failed quota: " + quotaName + ": " + missing;
  }

  /**
   * Whether {@code requested} fits: for each resource the quota limits and the object uses (non-zero),
   * {@code used + requested <= hard}. Null when it fits, else the refusal listing the exceeded
   * resources only.
   */
  public static String exceeded(String quotaName, Map<String, Quantity> hard, Map<String, Quantity> used,
      Map<String, Quantity> requested) {
    SortedMap<String, Quantity> requestedUsage = ResourceLists.removeZeros(ResourceLists.mask(requested, hard.keySet()));
    if (requestedUsage.isEmpty()) {
      return null;
    }
    SortedMap<String, Quantity> newUsage = ResourceLists.add(ResourceLists.mask(used, requestedUsage.keySet()),
        requestedUsage);
    List<String> exceeded = new ArrayList<>();
    newUsage.forEach((name, q) -> {
      if (q.compareTo(hard.get(name)) > 0) {
        exceeded.add(name);
      }
    });
    if (exceeded.isEmpty()) {
      return null;
    }
    return "exceeded quota: " + quotaName
        + ", requested: " + ResourceLists.prettyPrint(ResourceLists.mask(requestedUsage, exceeded))
        + ", used: " + ResourceLists.prettyPrint(ResourceLists.zeroFilled(ResourceLists.mask(used, exceeded),
            new java.util.TreeSet<>(exceeded)))
        + ", limited: " + ResourceLists.prettyPrint(ResourceLists.mask(hard, exceeded));
  }
}
