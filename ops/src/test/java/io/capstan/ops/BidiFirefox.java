package io.capstan.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Headless Firefox driven over WebDriver BiDi, with no driver binary: Firefox started with
 * {@code --remote-debugging-port} serves a BiDi session on {@code ws://127.0.0.1:PORT/session}.
 * Commands carry ids and their answers are matched by id; of the events, only the page's errors
 * are kept ({@link #pageErrors()}). The browser runs
 * with a fresh profile, its output goes to a log file, and {@link #close()} ends the session and
 * the process (with its content processes) and removes the profile.
 */
final class BidiFirefox implements AutoCloseable {
  /** How long a single command may take; the machine is shared and loaded. */
  private static final Duration COMMAND_WAIT = Duration.ofSeconds(60);
  private static final Duration START_WAIT = Duration.ofSeconds(90);
  private static final Pattern LISTENING = Pattern.compile("WebDriver BiDi listening on (ws://\\S+)");

  private final ObjectMapper json = new ObjectMapper();
  private final Process process;
  private final Path profile;
  private final Path log;
  private final WebSocket socket;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final String context;
  private final List<String> pageErrors = new CopyOnWriteArrayList<>();

  /** A DOM element of the page, as BiDi's {@code script} module shares it. */
  record Element(String sharedId) {}

  private BidiFirefox(Path firefox, Path log, int width, int height) throws Exception {
    this.log = log;
    Files.createDirectories(log.toAbsolutePath().getParent());
    profile = Files.createTempDirectory("capstan-firefox-profile");
    // Port 0: Firefox takes a free port and says which in its output.
    process = new ProcessBuilder(firefox.toString(), "--headless", "--no-remote", "--remote-debugging-port=0",
        "--profile", profile.toString(), "about:blank")
        .redirectErrorStream(true).start();
    CompletableFuture<String> listening = new CompletableFuture<>();
    Thread copier = new Thread(() -> copyOutput(process.getInputStream(), listening), "firefox-output");
    copier.setDaemon(true);
    copier.start();
    WebSocket opened = null;
    try {
      String address;
      try {
        address = listening.get(START_WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new IllegalStateException("Firefox did not listen for WebDriver BiDi within " + START_WAIT
            + "; its output is in " + log.toAbsolutePath());
      } catch (ExecutionException e) {
        throw (IllegalStateException) e.getCause();
      }
      opened = HttpClient.newHttpClient().newWebSocketBuilder()
          .buildAsync(URI.create(address + "/session"), new Listener())
          .get(COMMAND_WAIT.toSeconds(), TimeUnit.SECONDS);
      socket = opened;
      ObjectNode capabilities = json.createObjectNode();
      // The cluster's serving certificate is signed by its own CA, which this profile does not know.
      capabilities.putObject("alwaysMatch").put("acceptInsecureCerts", true);
      ObjectNode newSession = json.createObjectNode();
      newSession.set("capabilities", capabilities);
      command("session.new", newSession);
      ObjectNode subscribe = json.createObjectNode();
      subscribe.putArray("events").add("log.entryAdded");
      command("session.subscribe", subscribe);
      JsonNode tree = command("browsingContext.getTree", json.createObjectNode());
      context = tree.path("contexts").path(0).path("context").asText(null);
      if (context == null) {
        throw new IllegalStateException("Firefox has no top-level browsing context: " + tree);
      }
      ObjectNode viewport = json.createObjectNode().put("context", context);
      viewport.putObject("viewport").put("width", width).put("height", height);
      command("browsingContext.setViewport", viewport);
    } catch (Exception e) {
      if (opened != null) {
        opened.abort();
      }
      stop();
      throw e;
    }
  }

  /** Starts headless Firefox at {@code firefox} with a viewport of this size, its output to {@code log}. */
  static BidiFirefox start(Path firefox, Path log, int width, int height) throws Exception {
    return new BidiFirefox(firefox, log, width, height);
  }

  /** Loads {@code url} in the tab and returns once the page has loaded. */
  void navigate(String url) {
    command("browsingContext.navigate", json.createObjectNode().put("context", context).put("url", url)
        .put("wait", "complete"));
  }

  /**
   * Evaluates a JavaScript expression in the page (awaiting a promise) and returns its BiDi
   * remote value ({@code {"type": "string", "value": …}}, {@code {"type": "node", "sharedId": …}}, …).
   * A thrown exception fails with its text.
   */
  JsonNode evaluate(String expression) {
    ObjectNode params = json.createObjectNode().put("expression", expression).put("awaitPromise", true)
        .put("resultOwnership", "none");
    params.putObject("target").put("context", context);
    JsonNode result = command("script.evaluate", params);
    if ("exception".equals(result.path("type").asText())) {
      throw new IllegalStateException("the page threw evaluating " + expression + ": "
          + result.path("exceptionDetails").path("text").asText(result.toString()));
    }
    return result.path("result");
  }

  /** The expression's value when it is a string, number or boolean; null for null and undefined. */
  String text(String expression) {
    JsonNode value = evaluate(expression);
    return value.has("value") && !value.get("value").isContainerNode() ? value.get("value").asText() : null;
  }

  /** The element {@code document.querySelector(css)} finds, if any. */
  java.util.Optional<Element> find(String css) {
    return element("document.querySelector(" + quote(css) + ")");
  }

  /** The element an expression yields, if it yields one. */
  java.util.Optional<Element> element(String expression) {
    JsonNode value = evaluate(expression);
    return "node".equals(value.path("type").asText())
        ? java.util.Optional.of(new Element(value.path("sharedId").asText()))
        : java.util.Optional.empty();
  }

  /** Scrolls the element into view and clicks its centre with the mouse, as a user would. */
  void click(Element element) {
    ObjectNode params = json.createObjectNode().put("functionDeclaration", "e => e.scrollIntoView({block: 'nearest'})")
        .put("awaitPromise", false);
    params.putObject("target").put("context", context);
    params.putArray("arguments").addObject().put("sharedId", element.sharedId());
    JsonNode result = command("script.callFunction", params);
    if ("exception".equals(result.path("type").asText())) {
      throw new IllegalStateException("could not scroll to the element: " + result.path("exceptionDetails"));
    }
    ObjectNode mouse = json.createObjectNode().put("type", "pointer").put("id", "mouse");
    mouse.putObject("parameters").put("pointerType", "mouse");
    ArrayNode steps = mouse.putArray("actions");
    ObjectNode move = steps.addObject().put("type", "pointerMove").put("x", 0).put("y", 0);
    move.putObject("origin").put("type", "element").putObject("element").put("sharedId", element.sharedId());
    steps.addObject().put("type", "pointerDown").put("button", 0);
    steps.addObject().put("type", "pointerUp").put("button", 0);
    perform(mouse);
  }

  /**
   * Types {@code keys} into whatever has the focus, one key press per character (WebDriver's key
   * codes such as {@code \uE011} for Home work too).
   */
  void type(String keys) {
    ObjectNode keyboard = json.createObjectNode().put("type", "key").put("id", "keyboard");
    ArrayNode steps = keyboard.putArray("actions");
    keys.codePoints().forEach(c -> {
      String key = new String(Character.toChars(c));
      steps.addObject().put("type", "keyDown").put("value", key);
      steps.addObject().put("type", "keyUp").put("value", key);
    });
    perform(keyboard);
  }

  private void perform(ObjectNode source) {
    ObjectNode params = json.createObjectNode().put("context", context);
    params.putArray("actions").add(source);
    command("input.performActions", params);
  }

  /** A PNG of the tab's viewport. */
  byte[] screenshot() {
    JsonNode shot = command("browsingContext.captureScreenshot", json.createObjectNode().put("context", context));
    return Base64.getDecoder().decode(shot.path("data").asText());
  }

  /** The page's errors so far: its uncaught exceptions and {@code console.error} calls. */
  List<String> pageErrors() {
    return List.copyOf(pageErrors);
  }

  /** The browser's output so far, for a failure's message. */
  Path log() {
    return log;
  }

  /** A JavaScript string literal of {@code s}. */
  static String quote(String s) {
    try {
      return new ObjectMapper().writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Sends one command and waits for its answer's {@code result}; an {@code error} answer, a closed
   * connection or no answer within {@link #COMMAND_WAIT} fail naming the command.
   */
  JsonNode command(String method, ObjectNode params) {
    long id = ids.incrementAndGet();
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    ObjectNode message = json.createObjectNode().put("id", id).put("method", method);
    message.set("params", params);
    try {
      socket.sendText(json.writeValueAsString(message), true).get(COMMAND_WAIT.toSeconds(), TimeUnit.SECONDS);
      JsonNode response = answer.get(COMMAND_WAIT.toSeconds(), TimeUnit.SECONDS);
      if ("error".equals(response.path("type").asText())) {
        throw new BidiError(method, response.path("error").asText(), response.path("message").asText());
      }
      return response.path("result");
    } catch (TimeoutException e) {
      throw new IllegalStateException("Firefox did not answer " + method + " within " + COMMAND_WAIT
          + "; its output is in " + log.toAbsolutePath());
    } catch (ExecutionException e) {
      throw new IllegalStateException("WebDriver BiDi " + method + " failed: " + e.getCause().getMessage()
          + "; Firefox's output is in " + log.toAbsolutePath(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + method, e);
    } catch (IOException e) {
      throw new IllegalStateException("could not write " + method, e);
    } finally {
      pending.remove(id);
    }
  }

  /** An error answer to a command: its BiDi error code (e.g. {@code no such node}) and message. */
  static final class BidiError extends RuntimeException {
    final String error;

    BidiError(String method, String error, String message) {
      super("WebDriver BiDi " + method + ": " + error + ": " + message);
      this.error = error;
    }
  }

  /** Ends the session, then the browser and its content processes, and removes the profile. */
  @Override
  public void close() {
    try {
      socket.sendText("{\"id\":" + ids.incrementAndGet() + ",\"method\":\"session.end\",\"params\":{}}", true)
          .get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // The browser is stopped below in any case.
    }
    socket.abort();
    stop();
  }

  private void stop() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A temp dir left behind.
    }
  }

  /** Copies the browser's output to the log, completing {@code listening} with the BiDi address. */
  private void copyOutput(InputStream output, CompletableFuture<String> listening) {
    try (OutputStream file = Files.newOutputStream(log)) {
      StringBuilder line = new StringBuilder();
      int b;
      while ((b = output.read()) >= 0) {
        file.write(b);
        if (b == '\n') {
          file.flush();
          Matcher m = LISTENING.matcher(line);
          if (!listening.isDone() && m.find()) {
            listening.complete(m.group(1));
          }
          line.setLength(0);
        } else {
          line.append((char) b);
        }
      }
    } catch (IOException e) {
      // The process ended; what was copied stays.
    }
    listening.completeExceptionally(new IllegalStateException(
        "Firefox exited before it listened for WebDriver BiDi; its output is in " + log.toAbsolutePath()));
  }

  /**
   * Puts a message's fragments together and hands each answer to the command waiting for its id;
   * of the events, keeps the page's errors.
   */
  private final class Listener implements WebSocket.Listener {
    private final StringBuilder message = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      message.append(data);
      if (last) {
        String text = message.toString();
        message.setLength(0);
        try {
          JsonNode answer = json.readTree(text);
          if ("event".equals(answer.path("type").asText())) {
            JsonNode entry = answer.path("params");
            if ("log.entryAdded".equals(answer.path("method").asText()) && "error".equals(entry.path("level").asText())) {
              pageErrors.add(entry.path("type").asText() + ": " + entry.path("text").asText());
            }
          } else if (answer.has("id") && !answer.get("id").isNull()) {
            CompletableFuture<JsonNode> waiting = pending.get(answer.get("id").asLong());
            if (waiting != null) {
              waiting.complete(answer);
            }
          }
        } catch (IOException e) {
          System.err.println("WebDriver BiDi: unreadable message: " + text);
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      failAll(new IOException("the BiDi connection closed: " + statusCode + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      failAll(error);
    }

    private void failAll(Throwable cause) {
      pending.values().forEach(f -> f.completeExceptionally(cause));
    }
  }
}
