package io.capstan.loadtests.robustness.check;

import io.capstan.loadtests.robustness.history.Input;
import io.capstan.loadtests.robustness.history.Operation;
import io.capstan.loadtests.robustness.history.Output;

/** Short names for the operations the checkers' tests write histories with (times in microseconds). */
final class Ops {
  static final String KEY = "ConfigMap/ns/a";

  private Ops() {
  }

  static Operation op(String client, long call, long ret, Input in, Output out) {
    return new Operation(KEY, client, call * 1000, ret == Long.MAX_VALUE ? ret : ret * 1000, in, out);
  }

  static Input create(String v) {
    return new Input.Create(v);
  }

  static Input update(String v, long rv) {
    return new Input.Update(v, rv);
  }

  static Input patch(String v) {
    return new Input.Patch(v);
  }

  static Input delete(long rv) {
    return new Input.Delete(rv);
  }

  static Input get() {
    return new Input.Get();
  }

  static Output ok(long rv, String v) {
    return new Output.Ok(200, rv, v);
  }

  static Output created(long rv, String v) {
    return new Output.Ok(201, rv, v);
  }

  static Output refused(int code) {
    return new Output.Refused(code);
  }

  static Output unknown() {
    return new Output.Unknown("timeout");
  }
}
