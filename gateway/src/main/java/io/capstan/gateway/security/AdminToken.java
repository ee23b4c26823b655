package io.capstan.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * The cluster administrator's bearer token. On first start a random token for user
 * {@value #ADMIN_USER} in group {@code system:masters} is appended to the token file (created
 * owner-readable only); later starts find it there again.
 */
public final class AdminToken {
  public static final String ADMIN_USER = "capstan-admin";
  public static final String ADMIN_GROUP = "system:masters";

  private AdminToken() {}

  /** The admin token in {@code tokenFile}, adding one (and the file) when there is none. */
  public static String ensure(Path tokenFile) throws IOException {
    if (Files.exists(tokenFile)) {
      for (TokenFile.Entry e : TokenFile.read(tokenFile)) {
        if (e.user().name().equals(ADMIN_USER)) {
          return e.token();
        }
      }
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    String token = HexFormat.of().formatHex(random);
    Files.createDirectories(tokenFile.toAbsolutePath().getParent());
    boolean created = !Files.exists(tokenFile);
    String prefix = created || Files.readString(tokenFile).endsWith("\n") || Files.size(tokenFile) == 0 ? "" : "\n";
    Files.writeString(tokenFile, prefix + TokenFile.line(token, new UserInfo(ADMIN_USER, ADMIN_USER,
        List.of(ADMIN_GROUP))) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    if (created) {
      CertificateAuthority.ownerOnly(tokenFile);
    }
    return token;
  }
}
