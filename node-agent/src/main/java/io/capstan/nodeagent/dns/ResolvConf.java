package io.capstan.nodeagent.dns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A resolv.conf: nameservers, search domains and options, read from a file or written for a pod.
 * Only the lines kubelet reads ({@code nameserver}, {@code search}, {@code domain}, {@code options})
 * are kept.
 */
public record ResolvConf(List<String> nameservers, List<String> searches, List<String> options) {
  public static final Path HOST_FILE = Path.of("/etc/resolv.conf");

  public ResolvConf {
    nameservers = List.copyOf(nameservers);
    searches = List.copyOf(searches);
    options = List.copyOf(options);
  }

  public static ResolvConf empty() {
    return new ResolvConf(List.of(), List.of(), List.of());
  }

  /** The file's settings; empty when it does not exist (a host without resolvers). */
  public static ResolvConf read(Path file) throws IOException {
    return Files.isRegularFile(file) ? parse(Files.readString(file)) : empty();
  }

  /** As the C library reads it: the last {@code search} or {@code domain} line wins. */
  public static ResolvConf parse(String text) {
    List<String> ns = new ArrayList<>();
    List<String> search = new ArrayList<>();
    List<String> opts = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      String[] f = line.split("\\s+");
      switch (f[0]) {
        case "nameserver" -> {
          if (f.length > 1) {
            ns.add(f[1]);
          }
        }
        case "search", "domain" -> {
          search.clear();
          for (int i = 1; i < f.length; i++) {
            if (!f[i].equals(".")) { // "search ." means no search list
              search.add(f[i]);
            }
          }
        }
        case "options" -> {
          for (int i = 1; i < f.length; i++) {
            opts.add(f[i]);
          }
        }
        default -> { }
      }
    }
    return new ResolvConf(ns, search, opts);
  }

  /** The file's text. */
  public String render() {
    StringBuilder b = new StringBuilder();
    if (!searches.isEmpty()) {
      b.append("search ").append(String.join(" ", searches)).append('\n');
    }
    for (String n : nameservers) {
      b.append("nameserver ").append(n).append('\n');
    }
    if (!options.isEmpty()) {
      b.append("options ").append(String.join(" ", options)).append('\n');
    }
    return b.toString();
  }
}
