package io.capstan.loadtests.robustness.check;

import io.capstan.loadtests.robustness.history.Input;
import io.capstan.loadtests.robustness.history.LogEvent;
import io.capstan.loadtests.robustness.history.Operation;
import io.capstan.loadtests.robustness.history.Output;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * No acknowledged write lost, no write nobody made: every create, update or patch a client got a
 * 2xx for is in the event log at the version it was told, with its value, and every acknowledged
 * delete is there too; the final state of each key is the log's last word on it (so an
 * acknowledged write is in it or superseded by a later one); every value the log holds was sent
 * by some client, and only once.
 */
public final class DurabilityChecker {
  /** What the final read of a key found: absent, or present at a version with a value. */
  public record FinalState(boolean exists, long rv, String value) {
    public static FinalState absent() {
      return new FinalState(false, 0, null);
    }
  }

  /**
   * The findings.
   *
   * @param lost       acknowledged writes the log or the final state does not have
   * @param phantom    values in the log or the final state no client sent, or applied twice
   */
  public record Result(List<String> lost, List<String> phantom) {
    public boolean clean() {
      return lost.isEmpty() && phantom.isEmpty();
    }
  }

  private record EventKey(String key, long rv) {}

  public Result check(List<Operation> ops, List<LogEvent> log, Map<String, FinalState> finals) {
    Map<EventKey, LogEvent> byKeyAndRv = new HashMap<>();
    Map<String, LogEvent> lastOfKey = new HashMap<>();
    Map<String, List<LogEvent>> deletes = new HashMap<>();
    for (LogEvent e : log) {
      byKeyAndRv.put(new EventKey(e.key(), e.rv()), e);
      lastOfKey.merge(e.key(), e, (a, b) -> b.rv() > a.rv() ? b : a);
      if (e.type() == LogEvent.Type.DELETED) {
        deletes.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
      }
    }
    List<String> lost = new ArrayList<>();
    List<String> phantom = new ArrayList<>();
    Set<String> sent = new HashSet<>();
    for (Operation op : ops) {
      written(op.input()).ifPresent(sent::add);
      if (!(op.output() instanceof Output.Ok ok)) {
        continue;
      }
      if (op.input() instanceof Input.Delete) {
        boolean found = deletes.getOrDefault(op.key(), List.of()).stream().anyMatch(e -> e.rv() >= ok.resourceVersion());
        if (!found) {
          lost.add("acknowledged delete of " + op.key() + "@" + ok.resourceVersion() + " is not in the log: " + op);
        }
        continue;
      }
      if (!op.input().writes()) {
        continue;
      }
      LogEvent e = byKeyAndRv.get(new EventKey(op.key(), ok.resourceVersion()));
      if (e == null || e.type() == LogEvent.Type.DELETED || !Objects.equals(e.value(), ok.value())) {
        lost.add("acknowledged write of " + op.key() + "@" + ok.resourceVersion() + "=" + ok.value()
            + " is not in the log" + (e == null ? "" : " (it has " + e.type() + "=" + e.value() + " there)") + ": " + op);
      }
      FinalState f = finals.get(op.key());
      LogEvent last = lastOfKey.get(op.key());
      boolean superseded = f == null || (f.exists() ? f.rv() >= ok.resourceVersion()
          : last != null && last.type() == LogEvent.Type.DELETED && last.rv() >= ok.resourceVersion());
      if (!superseded) {
        lost.add("acknowledged write of " + op.key() + "@" + ok.resourceVersion() + " is neither in the final state "
            + f + " nor superseded by a later write");
      }
    }
    Set<String> applied = new HashSet<>();
    for (LogEvent e : log) {
      if (e.type() == LogEvent.Type.DELETED) {
        continue;
      }
      if (!sent.contains(e.value())) {
        phantom.add("the log has " + e.type() + " " + e.key() + "@" + e.rv() + "=" + e.value()
            + ", a value no client wrote");
      } else if (!applied.add(e.value())) {
        phantom.add("the log applies the write of " + e.value() + " twice, again at " + e.key() + "@" + e.rv());
      }
    }
    finals.forEach((key, f) -> {
      LogEvent last = lastOfKey.get(key);
      boolean logSaysAbsent = last == null || last.type() == LogEvent.Type.DELETED;
      if (f.exists() && !sent.contains(f.value())) {
        phantom.add("the final state of " + key + " holds " + f.value() + ", a value no client wrote");
      } else if (f.exists() == logSaysAbsent || f.exists() && (f.rv() != last.rv() || !Objects.equals(f.value(),
          last.value()))) {
        lost.add("the final state of " + key + " " + f + " is not the log's last event "
            + (last == null ? "(none)" : last.type() + "@" + last.rv() + "=" + last.value()));
      }
    });
    return new Result(lost, phantom);
  }

  private static Optional<String> written(Input in) {
    if (in instanceof Input.Create c) {
      return Optional.of(c.value());
    } else if (in instanceof Input.Update u) {
      return Optional.of(u.value());
    } else if (in instanceof Input.Patch p) {
      return Optional.of(p.value());
    }
    return Optional.empty();
  }

  /**
   * The history with what the log says of its unanswered creates, updates and patches (as etcd's
   * robustness suite patches its history from what was persisted): one whose value the log holds
   * took effect at that version, so it keeps no return but gets that answer; one whose value the
   * log never holds never took effect and is left out. This keeps the linearizability search
   * from trying every subset of them.
   */
  public static List<Operation> resolveUnanswered(List<Operation> ops, List<LogEvent> log) {
    Map<String, LogEvent> byValue = new HashMap<>();
    for (LogEvent e : log) {
      if (e.type() != LogEvent.Type.DELETED && e.value() != null) {
        byValue.putIfAbsent(e.value(), e);
      }
    }
    List<Operation> out = new ArrayList<>(ops.size());
    for (Operation op : ops) {
      Optional<String> value = written(op.input());
      if (!op.unanswered() || value.isEmpty()) {
        out.add(op);
        continue;
      }
      LogEvent e = byValue.get(value.get());
      if (e != null && e.key().equals(op.key())) {
        out.add(new Operation(op.key(), op.client(), op.callNanos(), op.returnNanos(), op.input(),
            new Output.Ok(op.input() instanceof Input.Create ? 201 : 200, e.rv(), e.value())));
      }
    }
    return out;
  }
}
