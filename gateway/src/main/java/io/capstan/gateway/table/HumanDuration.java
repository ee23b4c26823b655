package io.capstan.gateway.table;

import java.time.Duration;

/** Ages as kubectl prints them (k8s.io/apimachinery duration.HumanDuration): 45s, 5m12s, 3h, 2d4h, 3y. */
public final class HumanDuration {
  private HumanDuration() {}

  public static String format(Duration d) {
    long seconds = d.toSeconds();
    if (seconds < -1) {
      return "<invalid>";
    }
    if (seconds < 0) {
      return "0s";
    }
    if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    }
    if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = minutes / 60;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    }
    if (hours < 48) {
      return hours + "h";
    }
    if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    }
    if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    }
    long days = hours / 24;
    if (hours < 24 * 365 * 8) {
      long dy = days % 365;
      return dy == 0 ? days / 365 + "y" : days / 365 + "y" + dy + "d";
    }
    return days / 365 + "y";
  }
}
