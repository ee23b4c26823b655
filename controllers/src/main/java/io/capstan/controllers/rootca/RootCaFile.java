package io.capstan.controllers.rootca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The cluster CA bundle the publisher hands out, read from a PEM file (kube-controller-manager's
 * {@code --root-ca-file}; Capstan's gateway writes {@code DATA_DIR/pki/ca.crt}). Read once when
 * opened, which fails on a missing or non-PEM file as a bad flag should; {@link #reread} picks up
 * a rotated CA, keeping the last good bundle when the file is briefly missing or half written.
 */
public final class RootCaFile {
  private static final String BEGIN = "-----BEGIN CERTIFICATE-----";
  private static final String END = "-----END CERTIFICATE-----";

  private final Path path;
  private final AtomicReference<String> pem = new AtomicReference<>();

  private RootCaFile(Path path, String pem) {
    this.path = path;
    this.pem.set(pem);
  }

  /** Reads the bundle now. */
  public static RootCaFile open(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    String pem = read(path);
    if (pem == null) {
      throw new IOException("root CA file " + path + " holds no PEM certificate (" + BEGIN + " ... " + END + ")");
    }
    return new RootCaFile(path, pem);
  }

  public Path path() {
    return path;
  }

  /** The bundle as last read: the PEM text of the file. */
  public String pem() {
    return pem.get();
  }

  /** Reads the file again; whether the bundle changed. An unreadable or non-PEM file changes nothing. */
  public boolean reread() {
    String now;
    try {
      now = read(path);
    } catch (IOException e) {
      return false;
    }
    return now != null && !now.equals(pem.getAndSet(now));
  }

  private static String read(Path path) throws IOException {
    String text = Files.readString(path, StandardCharsets.UTF_8);
    int begin = text.indexOf(BEGIN);
    return begin >= 0 && text.indexOf(END, begin) > 0 ? text : null;
  }
}
