package io.capstan.loadtests.controllers;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The counters a phase of the bench is explained by, read from the meters the processor and the
 * controllers register anyway: commands the processor handled (by kind, op and result),
 * reconciles (by controller and result) and the time spent in them. Two tallies subtract to
 * what happened in between.
 */
record MeterTally(Map<String, Double> commands, Map<String, Double> reconciles, Map<String, Double> reconcileSeconds,
    Map<String, Double> timerCounts, Map<String, Double> timerSeconds) {
  static final String COMMANDS = "capstan.processor.commands";
  static final String RECONCILES = "capstan.controller.reconcile";
  static final String RECONCILE_TIME = "capstan.controller.reconcile.duration";
  static final String QUEUE_DEPTH = "capstan.workqueue.depth";
  /** Send to reply, as every command client in this process saw it (tagged by op). */
  static final String CLIENT_ROUND_TRIP = "capstan.client.command";
  /** Send to the processor picking the command up: how long commands queue before the single writer. */
  static final String PROCESSOR_AGE = "capstan.processor.command.age";
  /** The processor's own time per command. */
  static final String PROCESSOR_TIME = "capstan.processor.command";

  static MeterTally of(MeterRegistry registry) {
    Map<String, Double> commands = new TreeMap<>();
    for (Counter c : registry.find(COMMANDS).counters()) {
      commands.merge(c.getId().getTag("kind") + " " + c.getId().getTag("op") + " " + c.getId().getTag("result"),
          c.count(), Double::sum);
    }
    Map<String, Double> reconciles = new TreeMap<>();
    for (Counter c : registry.find(RECONCILES).counters()) {
      reconciles.merge(c.getId().getTag("controller") + " " + c.getId().getTag("result"), c.count(), Double::sum);
    }
    Map<String, Double> seconds = new TreeMap<>();
    for (Timer t : registry.find(RECONCILE_TIME).timers()) {
      seconds.merge(t.getId().getTag("controller"), t.totalTime(TimeUnit.SECONDS), Double::sum);
    }
    Map<String, Double> timerCounts = new TreeMap<>();
    Map<String, Double> timerSeconds = new TreeMap<>();
    for (Timer t : registry.find(CLIENT_ROUND_TRIP).timers()) {
      String k = "client round trip, " + t.getId().getTag("op");
      timerCounts.merge(k, (double) t.count(), Double::sum);
      timerSeconds.merge(k, t.totalTime(TimeUnit.SECONDS), Double::sum);
    }
    for (String name : new String[] {PROCESSOR_AGE, PROCESSOR_TIME}) {
      for (Timer t : registry.find(name).timers()) {
        String k = name.equals(PROCESSOR_AGE) ? "processor: command age at pickup" : "processor: time per command";
        timerCounts.merge(k, (double) t.count(), Double::sum);
        timerSeconds.merge(k, t.totalTime(TimeUnit.SECONDS), Double::sum);
      }
    }
    return new MeterTally(commands, reconciles, seconds, timerCounts, timerSeconds);
  }

  /** What happened since {@code before}. */
  MeterTally minus(MeterTally before) {
    return new MeterTally(diff(commands, before.commands), diff(reconciles, before.reconciles),
        diff(reconcileSeconds, before.reconcileSeconds), diff(timerCounts, before.timerCounts),
        diff(timerSeconds, before.timerSeconds));
  }

  double commandTotal() {
    return commands.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  double reconcileTotal() {
    return reconciles.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  /** Reconciles of one controller, whatever their result. */
  double reconcilesOf(String controller) {
    return reconciles.entrySet().stream().filter(e -> e.getKey().startsWith(controller + " "))
        .mapToDouble(Map.Entry::getValue).sum();
  }

  /** Commands the processor refused or that were duplicates: anything but accepted. */
  double commandsNot(String result) {
    return commands.entrySet().stream().filter(e -> !e.getKey().endsWith(" " + result))
        .mapToDouble(Map.Entry::getValue).sum();
  }

  /** The current depth of every controller's work queue, e.g. {@code replicaset=12 deployment=0}. */
  static String queueDepths(MeterRegistry registry) {
    return registry.find(QUEUE_DEPTH).gauges().stream()
        .map(g -> g.getId().getTag("name") + "=" + Math.round(g.value()))
        .sorted().collect(Collectors.joining(" "));
  }

  /** Several lines: the breakdown, for the progress stream. */
  String describe(double seconds) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "  processor: %.0f commands, %.0f/s%n", commandTotal(), commandTotal() / seconds));
    commands.forEach((k, v) -> {
      if (v > 0) {
        b.append(String.format(Locale.ROOT, "    %-40s %8.0f%n", k, v));
      }
    });
    b.append("  latency (mean over the phase):\n");
    timerCounts.forEach((k, n) -> {
      if (n > 0) {
        b.append(String.format(Locale.ROOT, "    %-40s %8.1f ms  (%.0f)%n", k, timerSeconds.getOrDefault(k, 0.0) * 1000 / n, n));
      }
    });
    b.append(String.format(Locale.ROOT, "  controllers: %.0f reconciles, %.0f/s%n", reconcileTotal(), reconcileTotal() / seconds));
    reconciles.forEach((k, v) -> {
      if (v > 0) {
        String controller = k.substring(0, k.indexOf(' '));
        double n = reconcilesOf(controller);
        double busy = reconcileSeconds.getOrDefault(controller, 0.0);
        b.append(String.format(Locale.ROOT, "    %-40s %8.0f  (controller: %.1f worker-s busy, mean %.1f ms)%n", k, v,
            busy, n == 0 ? 0 : busy * 1000 / n));
      }
    });
    return b.toString();
  }

  private static Map<String, Double> diff(Map<String, Double> now, Map<String, Double> before) {
    Map<String, Double> out = new TreeMap<>();
    now.forEach((k, v) -> out.put(k, v - before.getOrDefault(k, 0.0)));
    return out;
  }
}
