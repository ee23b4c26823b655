package io.capstan.logschema.validation;

import static io.capstan.logschema.json.FieldPath.field;
import static io.capstan.logschema.json.FieldPath.index;
import static io.capstan.logschema.validation.FieldErrors.isEmpty;
import static io.capstan.logschema.validation.FieldErrors.orEmpty;

import io.capstan.api.PodDNSConfig;
import io.capstan.api.PodDNSConfigOption;
import io.capstan.api.PodSpec;
import java.util.List;

/**
 * A pod's {@code dnsConfig} as Kubernetes' validatePodDNSConfig: with {@code dnsPolicy: None} it is
 * required with at least one nameserver; at most {@value #MAX_NAMESERVERS} nameservers, each an IP;
 * at most {@value #MAX_SEARCHES} search domains of at most {@value #MAX_SEARCH_CHARS} characters
 * together, each a DNS subdomain (a trailing dot allowed); every option named.
 */
final class PodDnsRules {
  static final int MAX_NAMESERVERS = 3;
  static final int MAX_SEARCHES = 32;
  static final int MAX_SEARCH_CHARS = 2048;

  private PodDnsRules() {}

  static void check(String path, PodSpec spec, FieldErrors errors) {
    String p = field(path, "dnsConfig");
    PodDNSConfig c = spec.getDnsConfig();
    if ("None".equals(spec.getDnsPolicy())) {
      if (c == null) {
        errors.add(FieldError.required(p, "must provide `dnsConfig` when `dnsPolicy` is None"));
        return;
      }
      if (orEmpty(c.getNameservers()).isEmpty()) {
        errors.add(FieldError.required(field(p, "nameservers"),
            "must provide at least one DNS nameserver when `dnsPolicy` is None"));
        return;
      }
    }
    if (c == null) {
      return;
    }
    List<String> nameservers = orEmpty(c.getNameservers());
    if (nameservers.size() > MAX_NAMESERVERS) {
      errors.add(FieldError.invalid(field(p, "nameservers"), nameservers,
          "must not have more than " + MAX_NAMESERVERS + " nameservers"));
    }
    for (int i = 0; i < nameservers.size(); i++) {
      String ns = nameservers.get(i);
      if (ns == null || !ServiceRules.isIp(ns)) {
        errors.add(FieldError.invalid(index(field(p, "nameservers"), i), ns, "must be a valid IP address"));
      }
    }
    List<String> searches = orEmpty(c.getSearches());
    if (searches.size() > MAX_SEARCHES) {
      errors.add(FieldError.invalid(field(p, "searches"), searches,
          "must not have more than " + MAX_SEARCHES + " search paths"));
    }
    if (String.join(" ", searches).length() > MAX_SEARCH_CHARS) {
      errors.add(FieldError.invalid(field(p, "searches"), searches, "must not have more than " + MAX_SEARCH_CHARS
          + " characters (including spaces) in the search list"));
    }
    for (int i = 0; i < searches.size(); i++) {
      String s = searches.get(i) == null ? "" : searches.get(i);
      String trimmed = s.endsWith(".") ? s.substring(0, s.length() - 1) : s; // a trailing dot is fine
      errors.name(index(field(p, "searches"), i), trimmed, Names::dns1123Subdomain);
    }
    List<PodDNSConfigOption> options = orEmpty(c.getOptions());
    for (int i = 0; i < options.size(); i++) {
      if (isEmpty(options.get(i).getName())) {
        errors.add(FieldError.required(index(field(p, "options"), i), "must not be empty"));
      }
    }
  }
}
