package io.capstan.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Writes a kubeconfig for the admin user: one cluster (the gateway URL with the CA embedded as
 * {@code certificate-authority-data}; none for plain HTTP), the admin user with a client
 * certificate (group {@code system:masters}, as kubeadm's {@code admin.conf}) in context
 * {@value #NAME}, selected as current, and the same administrator with the bearer token in
 * context {@value #TOKEN_CONTEXT} for tools that speak tokens only. Written owner-readable
 * only, since it holds credentials.
 */
public final class KubeconfigWriter {
  public static final String NAME = "capstan";
  /** The context (and user entry) that authenticates with the admin token. */
  public static final String TOKEN_CONTEXT = "capstan-token";

  private KubeconfigWriter() {}

  public static String render(String serverUrl, String caPem, String token, String namespace) {
    String caLine = caPem == null ? ""
        : "    certificate-authority-data: "
            + Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8)) + "\n";
    return "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: " + NAME + "\n"
        + "  cluster:\n"
        + "    server: " + serverUrl + "\n"
        + caLine
        + "users:\n"
        + "- name: " + AdminToken.ADMIN_USER + "\n"
        + "  user:\n"
        + "    token: " + token + "\n"
        + "contexts:\n"
        + "- name: " + NAME + "\n"
        + "  context:\n"
        + "    cluster: " + NAME + "\n"
        + "    user: " + AdminToken.ADMIN_USER + "\n"
        + "    namespace: " + namespace + "\n"
        + "current-context: " + NAME + "\n";
  }

  /**
   * The kubeconfig with the admin's client certificate ({@code certPem}, {@code keyPem}) as the
   * current context's user and the admin token in context {@value #TOKEN_CONTEXT}.
   */
  public static String render(String serverUrl, String caPem, String certPem, String keyPem, String token,
      String namespace) {
    String caLine = caPem == null ? ""
        : "    certificate-authority-data: " + base64(caPem) + "\n";
    return "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: " + NAME + "\n"
        + "  cluster:\n"
        + "    server: " + serverUrl + "\n"
        + caLine
        + "users:\n"
        + "- name: " + AdminToken.ADMIN_USER + "\n"
        + "  user:\n"
        + "    client-certificate-data: " + base64(certPem) + "\n"
        + "    client-key-data: " + base64(keyPem) + "\n"
        + "- name: " + TOKEN_CONTEXT + "\n"
        + "  user:\n"
        + "    token: " + token + "\n"
        + "contexts:\n"
        + "- name: " + NAME + "\n"
        + "  context:\n"
        + "    cluster: " + NAME + "\n"
        + "    user: " + AdminToken.ADMIN_USER + "\n"
        + "    namespace: " + namespace + "\n"
        + "- name: " + TOKEN_CONTEXT + "\n"
        + "  context:\n"
        + "    cluster: " + NAME + "\n"
        + "    user: " + TOKEN_CONTEXT + "\n"
        + "    namespace: " + namespace + "\n"
        + "current-context: " + NAME + "\n";
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The token-only kubeconfig ({@link #render(String, String, String, String)}). */
  public static Path write(Path file, String serverUrl, String caPem, String token) throws IOException {
    return write(file, render(serverUrl, caPem, token, "default"));
  }

  /** The kubeconfig with the admin's client certificate and token. */
  public static Path write(Path file, String serverUrl, String caPem, CertificateAuthority.ClientCertFiles admin,
      String token) throws IOException {
    return write(file, render(serverUrl, caPem, Files.readString(admin.cert(), StandardCharsets.UTF_8),
        Files.readString(admin.key(), StandardCharsets.UTF_8), token, "default"));
  }

  private static Path write(Path file, String text) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    CertificateAuthority.ownerOnly(tmp);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return file;
  }
}
