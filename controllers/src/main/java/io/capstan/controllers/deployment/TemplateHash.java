package io.capstan.controllers.deployment;

import io.capstan.api.PodTemplateSpec;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.logschema.defaults.PodDefaults;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * The {@code pod-template-hash} of a template (controller.ComputeHash): FNV-32a over a canonical
 * rendering of the template (fields in schema order, map keys sorted) and the collision count,
 * written with the same vowel-free alphabet as generated names. Equal templates hash equally in
 * every process; a different template almost always gets a different ReplicaSet name.
 */
public final class TemplateHash {
  public static final String LABEL = "pod-template-hash";
  private static final char[] SAFE = "bcdfghjklmnpqrstvwxz2456789".toCharArray();

  private TemplateHash() {}

  public static String of(PodTemplateSpec template, Integer collisionCount) {
    StringBuilder b = new StringBuilder();
    render(withoutHash(template), b);
    if (collisionCount != null) {
      b.append('#').append(collisionCount);
    }
    int h = 0x811c9dc5;
    for (byte x : b.toString().getBytes(StandardCharsets.UTF_8)) {
      h ^= x & 0xff;
      h *= 0x01000193;
    }
    // rand.SafeEncodeString(fmt.Sprint(hash)): each decimal digit mapped into the alphabet
    String digits = Long.toString(h & 0xffffffffL);
    StringBuilder out = new StringBuilder(digits.length());
    for (char c : digits.toCharArray()) {
      out.append(SAFE[c % SAFE.length]);
    }
    return out.toString();
  }

  /**
   * Whether two templates are equal apart from the pod-template-hash label (EqualIgnoreHash).
   * Equal as Kubernetes' semantic equality judges Go structs: an empty list, map or object equals
   * an absent one. A template that went through kubectl's typed structs comes back with e.g.
   * {@code resources: {}} where the original had none ({@code kubectl rollout undo} sends the old
   * ReplicaSet's template that way), and must still find that ReplicaSet.
   */
  public static boolean equalIgnoringHash(PodTemplateSpec a, PodTemplateSpec b) {
    if (a == null || b == null) {
      return a == b;
    }
    return canonical(withoutHash(a)).equals(canonical(withoutHash(b)));
  }

  private static String canonical(PodTemplateSpec t) {
    StringBuilder b = new StringBuilder();
    render(t, b);
    return b.toString();
  }

  /**
   * A copy of the template without the pod-template-hash label (and with no labels map if that was
   * all), with the API's defaults filled in: a ReplicaSet stored before a default existed still
   * equals its Deployment's template stored after (Kubernetes defaults both on every read).
   */
  public static PodTemplateSpec withoutHash(PodTemplateSpec t) {
    PodTemplateSpec c = PodTemplates.copy(t);
    PodDefaults.template(c);
    if (c.getMetadata() != null && c.getMetadata().getLabels() != null) {
      Map<String, String> labels = new HashMap<>(c.getMetadata().getLabels());
      labels.remove(LABEL);
      c.getMetadata().setLabels(labels.isEmpty() ? null : labels);
    }
    return c;
  }

  /** Absent, or a list, map or object with nothing in it (an object whose every field is empty). */
  private static boolean isEmpty(Object v) {
    if (v == null || (v instanceof Map<?, ?> m && m.isEmpty()) || (v instanceof List<?> l && l.isEmpty())) {
      return true;
    }
    if (v instanceof IndexedRecord r) {
      for (Schema.Field f : r.getSchema().getFields()) {
        if (!isEmpty(r.get(f.pos()))) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  private static void render(Object v, StringBuilder b) {
    if (isEmpty(v)) {
      b.append("~");
    } else if (v instanceof IndexedRecord r) {
      b.append('{');
      for (Schema.Field f : r.getSchema().getFields()) {
        Object fv = r.get(f.pos());
        if (!isEmpty(fv)) {
          b.append(f.name()).append(':');
          render(fv, b);
          b.append(',');
        }
      }
      b.append('}');
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      Map<String, Object> sorted = new TreeMap<>();
      m.forEach((k, x) -> sorted.put(k.toString(), x));
      sorted.forEach((k, x) -> {
        b.append(k).append('=');
        render(x, b);
        b.append(',');
      });
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (Object x : l) {
        render(x, b);
        b.append(',');
      }
      b.append(']');
    } else if (v instanceof java.nio.ByteBuffer bb) {
      java.nio.ByteBuffer d = bb.duplicate();
      byte[] bytes = new byte[d.remaining()];
      d.get(bytes);
      b.append(java.util.HexFormat.of().formatHex(bytes));
    } else {
      b.append('"').append(v.toString().replace("\"", "\\\"")).append('"');
    }
  }
}
