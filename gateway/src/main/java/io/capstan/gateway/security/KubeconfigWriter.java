package io.capstan.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

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
    return render(serverUrl, caPem, namespace, List.of(new User(NAME, AdminToken.ADMIN_USER, "    token: " + token + "\n")));
  }

  /**
   * The kubeconfig with the admin's client certificate ({@code certPem}, {@code keyPem}) as the
   * current context's user and the admin token in context {@value #TOKEN_CONTEXT}.
   */
  public static String render(String serverUrl, String caPem, String certPem, String keyPem, String token,
      String namespace) {
    return render(serverUrl, caPem, namespace, List.of(
        new User(NAME, AdminToken.ADMIN_USER,
            "    client-certificate-data: " + base64(certPem) + "\n    client-key-data: " + base64(keyPem) + "\n"),
        new User(TOKEN_CONTEXT, TOKEN_CONTEXT, "    token: " + token + "\n")));
  }

  /** A user and the context that uses it; {@code credentials} are its YAML lines. */
  private record User(String context, String name, String credentials) {}

  /** One cluster; a user and a context for each of {@code users}, the first context current. */
  private static String render(String serverUrl, String caPem, String namespace, List<User> users) {
    StringBuilder k = new StringBuilder("apiVersion: v1\nkind: Config\nclusters:\n")
        .append("- name: ").append(NAME).append("\n  cluster:\n    server: ").append(serverUrl).append("\n");
    if (caPem != null) {
      k.append("    certificate-authority-data: ").append(base64(caPem)).append("\n");
    }
    k.append("users:\n");
    for (User u : users) {
      k.append("- name: ").append(u.name()).append("\n  user:\n").append(u.credentials());
    }
    k.append("contexts:\n");
    for (User u : users) {
      k.append("- name: ").append(u.context()).append("\n  context:\n    cluster: ").append(NAME)
          .append("\n    user: ").append(u.name()).append("\n    namespace: ").append(namespace).append("\n");
    }
    return k.append("current-context: ").append(users.get(0).context()).append("\n").toString();
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
