package io.capstan.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A static token file in kube-apiserver's {@code --token-auth-file} format: one CSV line per
 * token, {@code token,user,uid,"group1,group2"} (groups optional). Blank lines and lines starting
 * with {@code #} are skipped. A malformed line fails the whole file with its line number, since
 * a half-read token file would lock users out silently.
 */
public final class TokenFile {
  /** One line: the secret token and who presents it. */
  public record Entry(String token, UserInfo user) {
    @Override
    public String toString() {
      return "Entry[user=" + user + "]"; // never print the token
    }
  }

  private TokenFile() {}

  public static List<Entry> read(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  public static List<Entry> parse(String text, String source) {
    List<Entry> out = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      List<String> cols = csv(line, source, i + 1);
      if (cols.size() < 3) {
        throw new IllegalArgumentException(source + " line " + (i + 1)
            + ": expected token,user,uid[,\"group1,group2\"], got " + cols.size() + " column(s)");
      }
      if (cols.get(0).isEmpty() || cols.get(1).isEmpty()) {
        throw new IllegalArgumentException(source + " line " + (i + 1) + ": token and user must not be empty");
      }
      List<String> groups = new ArrayList<>();
      if (cols.size() > 3 && !cols.get(3).isBlank()) {
        for (String g : cols.get(3).split(",")) {
          if (!g.isBlank()) {
            groups.add(g.strip());
          }
        }
      }
      out.add(new Entry(cols.get(0), new UserInfo(cols.get(1), cols.get(2), groups)));
    }
    return out;
  }

  /** The line for a token file, quoting the groups column. */
  public static String line(String token, UserInfo user) {
    return token + "," + user.name() + "," + user.uid()
        + (user.groups().isEmpty() ? "" : ",\"" + String.join(",", user.groups()) + "\"");
  }

  /** RFC 4180-ish: commas separate, double quotes enclose, "" is a literal quote. */
  private static List<String> csv(String line, String source, int lineNo) {
    List<String> cols = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cols.add(cur.toString().strip());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (quoted) {
      throw new IllegalArgumentException(source + " line " + lineNo + ": unterminated quote");
    }
    cols.add(cur.toString().strip());
    return cols;
  }
}
