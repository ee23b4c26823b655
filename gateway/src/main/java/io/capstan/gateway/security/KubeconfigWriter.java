package io.capstan.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * Writes a kubeconfig for the admin user: one cluster (the gateway URL with the CA embedded as
 * {@code certificate-authority-data}; none for plain HTTP), one user with the bearer token, one
 * context named {@value #NAME} selected as current. Written owner-readable only, since it holds
 * a credential.
 */
public final class KubeconfigWriter {
  public static final String NAME = "capstan";

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

  public static Path write(Path file, String serverUrl, String caPem, String token) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, render(serverUrl, caPem, token, "default"), StandardCharsets.UTF_8);
    CertificateAuthority.ownerOnly(tmp);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return file;
  }
}
