package io.capstan.controllers.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * Kubernetes' slowStartBatch: create in batches of 1, 2, 4, … so that a template that can never
 * be created (a quota, a bad field) costs one failed call, not hundreds; the first batch with a
 * failure ends the run and the rest are skipped.
 */
public final class SlowStart {
  /** As controller.SlowStartInitialBatchSize. */
  public static final int INITIAL_BATCH = 1;

  private SlowStart() {}

  /** The batch sizes for {@code count} creations: 1, 2, 4, … with the last one cut to what is left. */
  public static List<Integer> batches(int count) {
    List<Integer> out = new ArrayList<>();
    int left = count;
    int size = Math.min(INITIAL_BATCH, left);
    while (left > 0) {
      out.add(size);
      left -= size;
      size = Math.min(2 * size, left);
    }
    return out;
  }
}
