package io.capstan.loadtests.api;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's own view of its latency: the buckets of
 * {@code capstan_apiserver_request_duration_seconds} for one resource, from a scrape of
 * {@code /metrics}. Two scrapes, before and after the measured phase, give the server-side
 * percentiles of that phase as Prometheus' {@code histogram_quantile} computes them (linear within
 * the bucket), which is how Kubernetes' API latency SLI is measured: from the request's arrival at
 * the server to its response, without the client's and the network's share.
 */
final class ServerLatency {
  private static final Pattern BUCKET = Pattern.compile(
      "^capstan_apiserver_request_duration_seconds_bucket\\{([^}]*)\\}\\s+(\\S+)", Pattern.MULTILINE);
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  /** Cumulative counts by upper bound (seconds), per "verb code" of the resource. */
  private final Map<String, TreeMap<Double, Double>> buckets;

  private ServerLatency(Map<String, TreeMap<Double, Double>> buckets) {
    this.buckets = buckets;
  }

  static ServerLatency parse(String scrape, String resource) {
    Map<String, TreeMap<Double, Double>> buckets = new HashMap<>();
    Matcher m = BUCKET.matcher(scrape);
    while (m.find()) {
      Map<String, String> labels = new HashMap<>();
      Matcher l = LABEL.matcher(m.group(1));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      if (!resource.equals(labels.get("resource")) || !labels.containsKey("le")) {
        continue;
      }
      double le = labels.get("le").equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(labels.get("le"));
      buckets.computeIfAbsent(labels.get("verb") + " " + labels.get("code"), k -> new TreeMap<>())
          .merge(le, Double.parseDouble(m.group(2)), Double::sum);
    }
    return new ServerLatency(buckets);
  }

  /**
   * The {@code q} quantile (0..1) in milliseconds of the requests of this verb and code counted
   * after {@code before} was scraped; NaN when there were none.
   */
  double quantileMs(ServerLatency before, String verb, int code, double q) {
    String key = verb + " " + code;
    TreeMap<Double, Double> now = buckets.getOrDefault(key, new TreeMap<>());
    TreeMap<Double, Double> then = before.buckets.getOrDefault(key, new TreeMap<>());
    double total = now.getOrDefault(Double.POSITIVE_INFINITY, 0.0) - then.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
    if (total <= 0) {
      return Double.NaN;
    }
    double rank = q * total;
    double lower = 0;
    double below = 0;
    for (Map.Entry<Double, Double> e : now.entrySet()) {
      double count = e.getValue() - then.getOrDefault(e.getKey(), 0.0);
      if (count >= rank) {
        if (e.getKey().isInfinite()) {
          return lower * 1000; // beyond the last finite bucket: its bound, as histogram_quantile
        }
        double within = count - below;
        double fraction = within <= 0 ? 1 : (rank - below) / within;
        return (lower + (e.getKey() - lower) * fraction) * 1000;
      }
      lower = e.getKey();
      below = count;
    }
    return Double.NaN;
  }
}
