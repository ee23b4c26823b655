package io.capstan.logschema.codec;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate classes it has not been told to trust when reading
 * specific records. Capstan's own generated classes ({@code io.capstan.*}) are trusted here,
 * on top of whatever the JVM already trusts; everything that decodes calls {@link #ensure()}.
 */
public final class TrustedClasses {
  private static volatile boolean done;

  private TrustedClasses() {}

  public static void ensure() {
    if (done) {
      return;
    }
    synchronized (TrustedClasses.class) {
      if (!done) {
        ClassSecurityValidator.ClassSecurityPredicate ours = c -> c.getName().startsWith("io.capstan.");
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours));
        done = true;
      }
    }
  }
}
