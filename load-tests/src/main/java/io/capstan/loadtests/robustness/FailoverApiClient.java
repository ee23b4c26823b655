package io.capstan.loadtests.robustness;

import io.capstan.loadtests.api.ApiTarget;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A client of several gateways of one cluster, as client-go behind a load balancer behaves: it
 * sticks to one gateway; a request that could not even be sent (the connection refused or not
 * made) goes to the next one at once, since it cannot have been applied; a request that was sent
 * but not answered (timeout, reset) is reported as such (the caller records it as possibly
 * applied) and the next request goes to the next gateway, as does the one after a 5xx answer.
 */
final class FailoverApiClient {
  private final List<ApiClient> gateways;
  private volatile int current;

  FailoverApiClient(List<ApiTarget> targets, int first, Duration timeout) throws Exception {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("no gateway to send to");
    }
    List<ApiClient> g = new ArrayList<>();
    for (ApiTarget t : targets) {
      g.add(new ApiClient(t, timeout));
    }
    this.gateways = List.copyOf(g);
    this.current = Math.floorMod(first, g.size());
  }

  /** The gateway the next request goes to (its index among the targets). */
  int current() {
    return current;
  }

  private void moveOn(int from) {
    current = (from + 1) % gateways.size();
  }

  ApiClient.Answer call(String method, String path, String contentType, String body)
      throws IOException, InterruptedException {
    return send(c -> c.call(method, path, contentType, body), a -> a.code() >= 500);
  }

  /** A streamed GET (a watch) on the current gateway, or the next when it cannot be reached. */
  HttpResponse<Stream<String>> stream(String path, Duration limit) throws IOException, InterruptedException {
    return send(c -> c.stream(path, limit), r -> false);
  }

  /** One request through one gateway. */
  @FunctionalInterface
  private interface Request<T> {
    T send(ApiClient gateway) throws IOException, InterruptedException;
  }

  /** Sends through the current gateway, the next ones while it could not be sent; moves on after an answer that says so. */
  private <T> T send(Request<T> request, java.util.function.Predicate<T> moveOnAfter)
      throws IOException, InterruptedException {
    IOException refused = null;
    for (int tried = 0; tried < gateways.size(); tried++) {
      int i = current;
      try {
        T answer = request.send(gateways.get(i));
        if (moveOnAfter.test(answer)) {
          moveOn(i);
        }
        return answer;
      } catch (IOException e) {
        moveOn(i);
        if (!notSent(e)) {
          throw e;
        }
        refused = e;
      }
    }
    throw refused;
  }

  /** The request never left: no connection (refused, or not made in time). */
  static boolean notSent(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }
}
