package io.capstan.logschema.kinds;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Avro 1.12 refuses to instantiate classes by schema name unless they are trusted (a guard
 * against deserialization gadgets). Our generated record classes — the resource model in
 * {@code io.capstan.api} and the envelopes in {@code io.capstan.log} — are trusted here, in
 * addition to whatever the JVM already trusts. Idempotent; called by every entry point
 * that creates specific records (Kinds, LogCodec, KubeJson).
 */
public final class TrustedModelClasses {
  private static volatile boolean installed;

  private TrustedModelClasses() {}

  public static void install() {
    if (installed) {
      return;
    }
    synchronized (TrustedModelClasses.class) {
      if (installed) {
        return;
      }
      ClassSecurityPredicate ours = c -> {
        String pkg = c.getPackageName();
        return pkg.equals("io.capstan.api") || pkg.equals("io.capstan.log");
      };
      ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours));
      installed = true;
    }
  }
}
