package io.capstan.stateviews.processor.rules;

import io.capstan.api.Container;
import io.capstan.api.LimitRange;
import io.capstan.api.LimitRangeItem;
import io.capstan.api.ObjectMeta;
import io.capstan.api.Pod;
import io.capstan.api.PodSpec;
import io.capstan.api.ResourceRequirements;
import io.capstan.log.ErrorStatus;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.quota.ObjectUsage;
import io.capstan.logschema.resource.Quantity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.generic.IndexedRecord;

/**
 * kube-apiserver's LimitRanger admission plugin, for pods being created (a pod's containers never
 * change afterwards, so updates are not admitted; pod templates never are) and for
 * PersistentVolumeClaims:
 * <ul>
 *   <li><b>mutating</b> ({@link #defaultPod}): each container and init container gets the
 *       {@code defaultRequest} and {@code default} of the namespace's {@code Container} items for
 *       every resource it names no request or limit for, and the pod the annotation
 *       {@value #ANNOTATION}: {@code LimitRanger plugin set: cpu request for container web; cpu
 *       limit for container web}.</li>
 *   <li><b>validating</b> ({@link #validate}): {@code min}, {@code max} and
 *       {@code maxLimitRequestRatio} of {@code Container} items hold for every container and init
 *       container, those of {@code Pod} items for the pod's sums (native sidecars counted as
 *       kubelet counts them), those of {@code PersistentVolumeClaim} items for a claim's storage
 *       request. A pod that breaks one is refused with 403 in kube's words, e.g. {@code pods "web"
 *       is forbidden: maximum cpu usage per Container is 2, but limit is 3}; several breaks of one
 *       LimitRange are listed in brackets, and the first LimitRange (in name order) broken is the
 *       one reported, as the plugin stops there.</li>
 * </ul>
 * The LimitRanges are those the processor's copy of the LimitRange table holds, which trails a new
 * LimitRange by about one commit, as the plugin's informer trails the API.
 */
public final class LimitRangeAdmission {
  /** The annotation naming what the plugin set (limitRangerAnnotation). */
  public static final String ANNOTATION = "kubernetes.io/limit-ranger";
  public static final String CONTAINER = "Container";
  public static final String POD = "Pod";
  public static final String CLAIM = "PersistentVolumeClaim";
  /** Quantity.MaxMilliValue: beyond it, comparisons are in whole units rather than thousandths. */
  private static final BigDecimal MAX_MILLI_VALUE = BigDecimal.valueOf(Long.MAX_VALUE / 1000);

  private final LimitRangeLookup ranges;

  public LimitRangeAdmission(LimitRangeLookup ranges) {
    this.ranges = Objects.requireNonNull(ranges, "ranges");
  }

  /** Mutating admission of a pod being created: the namespace's container defaults, in place. */
  public void admitCreate(Pod pod) {
    if (pod.getSpec() == null || pod.getMetadata() == null) {
      return; // validation names what is missing
    }
    for (LimitRange range : ranges.inNamespace(pod.getMetadata().getNamespace())) {
      defaultPod(range, pod);
    }
  }

  /**
   * Validating admission of a pod or claim being created (after the object's own validation):
   * the refusal, or null when every LimitRange of its namespace holds. Other kinds pass.
   */
  public ErrorStatus validateCreate(Kind kind, String name, IndexedRecord object) {
    boolean pod = object instanceof Pod;
    if (!pod && !CLAIM.equals(kind.kind())) {
      return null;
    }
    ObjectMeta meta = ObjectFields.meta(object);
    for (LimitRange range : ranges.inNamespace(meta.getNamespace())) {
      List<String> errors = pod ? validatePod(range, (Pod) object) : validateClaim(range, claimRequests(object));
      if (!errors.isEmpty()) {
        return StatusErrors.forbidden(kind, name, aggregate(errors));
      }
    }
    return null;
  }

  // ---- defaults ----

  /** The defaults of one LimitRange's Container items (a later item's value wins), merged into the pod. */
  static void defaultPod(LimitRange range, Pod pod) {
    Map<String, String> requests = new LinkedHashMap<>();
    Map<String, String> limits = new LinkedHashMap<>();
    for (LimitRangeItem item : items(range)) {
      if (CONTAINER.equals(item.getType())) {
        orEmpty(item.getDefaultRequest()).forEach((k, v) -> requests.put(k, canonical(v)));
        orEmpty(item.getDefault$()).forEach((k, v) -> limits.put(k, canonical(v)));
      }
    }
    if (requests.isEmpty() && limits.isEmpty()) {
      return;
    }
    PodSpec spec = pod.getSpec();
    List<String> set = new ArrayList<>();
    for (Container c : orEmpty(spec.getContainers())) {
      merge(c, requests, limits, "container", set);
    }
    for (Container c : orEmpty(spec.getInitContainers())) {
      merge(c, requests, limits, "init container", set);
    }
    if (!set.isEmpty()) {
      ObjectMeta meta = pod.getMetadata();
      Map<String, String> annotations = meta.getAnnotations() == null ? new LinkedHashMap<>()
          : new LinkedHashMap<>(meta.getAnnotations());
      annotations.put(ANNOTATION, "LimitRanger plugin set: " + String.join("; ", set));
      meta.setAnnotations(annotations);
    }
  }

  /** mergeContainerResources: fills what the container does not name; notes it in {@code set}. */
  private static void merge(Container c, Map<String, String> requests, Map<String, String> limits, String what,
      List<String> set) {
    ResourceRequirements r = c.getResources() == null ? ResourceRequirements.newBuilder().build() : c.getResources();
    Map<String, String> haveLimits = r.getLimits() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(r.getLimits());
    Map<String, String> haveRequests = r.getRequests() == null ? new LinkedHashMap<>()
        : new LinkedHashMap<>(r.getRequests());
    Set<String> setLimits = new TreeSet<>();
    Set<String> setRequests = new TreeSet<>();
    limits.forEach((k, v) -> {
      if (haveLimits.putIfAbsent(k, v) == null) {
        setLimits.add(k);
      }
    });
    requests.forEach((k, v) -> {
      if (haveRequests.putIfAbsent(k, v) == null) {
        setRequests.add(k);
      }
    });
    if (setLimits.isEmpty() && setRequests.isEmpty()) {
      return;
    }
    r.setLimits(haveLimits.isEmpty() ? r.getLimits() : haveLimits);
    r.setRequests(haveRequests.isEmpty() ? r.getRequests() : haveRequests);
    c.setResources(r);
    if (!setRequests.isEmpty()) {
      set.add(String.join(", ", setRequests) + " request for " + what + " " + c.getName());
    }
    if (!setLimits.isEmpty()) {
      set.add(String.join(", ", setLimits) + " limit for " + what + " " + c.getName());
    }
  }

  // ---- constraints ----

  /** PodValidateLimitFunc: every breach of one LimitRange by the pod, in kube's words. */
  static List<String> validatePod(LimitRange range, Pod pod) {
    List<String> errors = new ArrayList<>();
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return errors;
    }
    for (LimitRangeItem item : items(range)) {
      if (CONTAINER.equals(item.getType())) {
        List<Container> all = new ArrayList<>(orEmpty(spec.getContainers()));
        all.addAll(orEmpty(spec.getInitContainers()));
        for (Container c : all) {
          check(CONTAINER, item, quantities(c.getResources(), true), quantities(c.getResources(), false), errors);
        }
      } else if (POD.equals(item.getType())) {
        check(POD, item, podTotal(spec, true), podTotal(spec, false), errors);
      }
    }
    return errors;
  }

  /** PersistentVolumeClaimValidateLimitFunc: min and max hold for what the claim requests (its limits are not input). */
  static List<String> validateClaim(LimitRange range, Map<String, Quantity> requests) {
    List<String> errors = new ArrayList<>();
    for (LimitRangeItem item : items(range)) {
      if (!CLAIM.equals(item.getType())) {
        continue;
      }
      new TreeMap<>(orEmpty(item.getMin())).forEach((k, v) -> min(CLAIM, k, v, requests, Map.of(), errors));
      new TreeMap<>(orEmpty(item.getMax())).forEach((k, v) -> maxRequest(CLAIM, k, v, requests, errors));
    }
    return errors;
  }

  private static void check(String type, LimitRangeItem item, Map<String, Quantity> requests,
      Map<String, Quantity> limits, List<String> errors) {
    new TreeMap<>(orEmpty(item.getMin())).forEach((k, v) -> min(type, k, v, requests, limits, errors));
    new TreeMap<>(orEmpty(item.getMax())).forEach((k, v) -> max(type, k, v, requests, limits, errors));
    new TreeMap<>(orEmpty(item.getMaxLimitRequestRatio())).forEach((k, v) -> ratio(type, k, v, requests, limits,
        errors));
  }

  /** minConstraint. */
  private static void min(String type, String resource, String enforcedText, Map<String, Quantity> requests,
      Map<String, Quantity> limits, List<String> errors) {
    Quantity enforced = parse(enforcedText);
    if (enforced == null) {
      return;
    }
    Quantity req = requests.get(resource);
    Quantity lim = limits.get(resource);
    Compared v = compared(req, lim, enforced);
    if (req == null) {
      errors.add("minimum " + resource + " usage per " + type + " is " + enforced + ".  No request is specified");
    } else if (v.request.compareTo(v.enforced) < 0) {
      errors.add("minimum " + resource + " usage per " + type + " is " + enforced + ", but request is " + req);
    } else if (lim != null && v.limit.compareTo(v.enforced) < 0) {
      errors.add("minimum " + resource + " usage per " + type + " is " + enforced + ", but limit is " + lim);
    }
  }

  /** maxConstraint. */
  private static void max(String type, String resource, String enforcedText, Map<String, Quantity> requests,
      Map<String, Quantity> limits, List<String> errors) {
    Quantity enforced = parse(enforcedText);
    if (enforced == null) {
      return;
    }
    Quantity req = requests.get(resource);
    Quantity lim = limits.get(resource);
    Compared v = compared(req, lim, enforced);
    if (lim == null) {
      errors.add("maximum " + resource + " usage per " + type + " is " + enforced + ".  No limit is specified");
    } else if (v.limit.compareTo(v.enforced) > 0) {
      errors.add("maximum " + resource + " usage per " + type + " is " + enforced + ", but limit is " + lim);
    } else if (req != null && v.request.compareTo(v.enforced) > 0) {
      errors.add("maximum " + resource + " usage per " + type + " is " + enforced + ", but request is " + req);
    }
  }

  /** maxRequestConstraint: for kinds whose limits are not user input (claims). */
  private static void maxRequest(String type, String resource, String enforcedText, Map<String, Quantity> requests,
      List<String> errors) {
    Quantity enforced = parse(enforcedText);
    if (enforced == null) {
      return;
    }
    Quantity req = requests.get(resource);
    Compared v = compared(req, null, enforced);
    if (req == null) {
      errors.add("maximum " + resource + " usage per " + type + " is " + enforced + ".  No request is specified");
    } else if (v.request.compareTo(v.enforced) > 0) {
      errors.add("maximum " + resource + " usage per " + type + " is " + enforced + ", but request is " + req);
    }
  }

  /** limitRequestRatioConstraint. */
  private static void ratio(String type, String resource, String enforcedText, Map<String, Quantity> requests,
      Map<String, Quantity> limits, List<String> errors) {
    Quantity enforced = parse(enforcedText);
    if (enforced == null) {
      return;
    }
    Quantity req = requests.get(resource);
    Quantity lim = limits.get(resource);
    Compared v = compared(req, lim, enforced);
    String prefix = resource + " max limit to request ratio per " + type + " is " + enforced;
    if (req == null || v.request.signum() == 0) {
      errors.add(prefix + ", but no request is specified or request is 0");
      return;
    }
    if (lim == null || v.limit.signum() == 0) {
      errors.add(prefix + ", but no limit is specified or limit is 0");
      return;
    }
    double observed = v.limit.doubleValue() / v.request.doubleValue();
    double display = observed;
    double allowed = units(enforced).doubleValue();
    if (units(enforced).compareTo(MAX_MILLI_VALUE) <= 0) {
      observed = observed * 1000;
      allowed = millis(enforced).doubleValue();
    }
    if (observed > allowed) {
      errors.add(prefix + ", but provided ratio is " + String.format(Locale.ROOT, "%f", display));
    }
  }

  /** The request, limit and enforced amounts at one precision (requestLimitEnforcedValues); absent is 0. */
  private record Compared(BigDecimal request, BigDecimal limit, BigDecimal enforced) {}

  private static Compared compared(Quantity req, Quantity lim, Quantity enforced) {
    Quantity r = req == null ? Quantity.ZERO : req;
    Quantity l = lim == null ? Quantity.ZERO : lim;
    boolean milli = units(r).compareTo(MAX_MILLI_VALUE) <= 0 && units(l).compareTo(MAX_MILLI_VALUE) <= 0
        && units(enforced).compareTo(MAX_MILLI_VALUE) <= 0;
    return milli ? new Compared(millis(r), millis(l), millis(enforced))
        : new Compared(units(r), units(l), units(enforced));
  }

  /** Quantity.Value: whole units, rounded up. */
  private static BigDecimal units(Quantity q) {
    return q.amount().setScale(0, RoundingMode.CEILING);
  }

  /** Quantity.MilliValue: thousandths, rounded up. */
  private static BigDecimal millis(Quantity q) {
    return q.amount().movePointRight(3).setScale(0, RoundingMode.CEILING);
  }

  // ---- the pod's totals ----

  /**
   * The pod's requests (or limits) as kubelet and the scheduler count them (podRequests /
   * podLimits): its containers plus its native sidecars, or the largest need while it
   * initializes, whichever is larger per resource ({@link ObjectUsage#podTotal}).
   */
  static Map<String, Quantity> podTotal(PodSpec spec, boolean requests) {
    return ObjectUsage.podTotal(spec, requests);
  }

  /** A container's requests or limits, parsed (validation has refused unparsable ones already). */
  private static Map<String, Quantity> quantities(ResourceRequirements r, boolean requests) {
    Map<String, String> list = r == null ? null : requests ? r.getRequests() : r.getLimits();
    return parsed(list);
  }

  private static Map<String, Quantity> parsed(Map<String, String> list) {
    Map<String, Quantity> out = new LinkedHashMap<>();
    orEmpty(list).forEach((k, v) -> {
      Quantity q = parse(v);
      if (q != null) {
        out.put(k, q);
      }
    });
    return out;
  }

  /** A claim's {@code spec.resources.requests}, read by field name (the claim's schema is not this plugin's). */
  @SuppressWarnings("unchecked")
  static Map<String, Quantity> claimRequests(IndexedRecord claim) {
    Object spec = field(claim, "spec");
    Object resources = spec instanceof IndexedRecord s ? field(s, "resources") : null;
    Object requests = resources instanceof IndexedRecord r ? field(r, "requests") : null;
    if (!(requests instanceof Map<?, ?> m)) {
      return Map.of();
    }
    Map<String, String> text = new LinkedHashMap<>();
    m.forEach((k, v) -> text.put(String.valueOf(k), String.valueOf(v)));
    return parsed(text);
  }

  private static Object field(IndexedRecord r, String name) {
    return r.getSchema().getField(name) == null ? null : ObjectFields.get(r, name);
  }

  // ---- small things ----

  /** utilerrors.NewAggregate's message: one error as it is, several (each once) in brackets. */
  static String aggregate(List<String> errors) {
    Set<String> distinct = new LinkedHashSet<>(errors);
    return distinct.size() == 1 ? distinct.iterator().next() : "[" + String.join(", ", distinct) + "]";
  }

  private static Quantity parse(String text) {
    try {
      return Quantity.parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** As stored by kube-apiserver: a LimitRange's quantities in their canonical form. */
  private static String canonical(String text) {
    Quantity q = parse(text);
    return q == null ? text : q.canonical();
  }

  private static List<LimitRangeItem> items(LimitRange range) {
    return range.getSpec() == null || range.getSpec().getLimits() == null ? List.of() : range.getSpec().getLimits();
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static Map<String, String> orEmpty(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }
}
