package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * The WebDriver BiDi client against real headless Firefox ESR on a page of its own: typing into a
 * field and clicking a button as a user does, a key on a slider, a screenshot, the page's errors
 * kept, and a script's exception reported with its text; a browser that exits at once is
 * reported with where its output is.
 */
class BidiFirefoxTest {
  private static final Path FIREFOX = Path.of("/usr/bin/firefox-esr");

  @Test
  void typesClicksAndReadsThePage() throws Exception {
    if (!Files.isExecutable(FIREFOX)) {
      Assertions.fail("Firefox is needed: install firefox-esr (apt-get install firefox-esr)");
    }
    try (BidiFirefox firefox = BidiFirefox.start(FIREFOX, Path.of("target", "firefox", "bidi-client.log"), 800, 600)) {
      firefox.navigate("data:text/html,<input id=name><button id=go>Go</button><p id=out></p>"
          + "<input id=slider type=range min=0 max=10 value=5>");
      firefox.evaluate("document.getElementById('go').addEventListener('click', () => "
          + "document.getElementById('out').textContent = 'hello ' + document.getElementById('name').value)");

      firefox.click(firefox.find("#name").orElseThrow());
      firefox.type("capstan-1");
      firefox.click(firefox.find("#go").orElseThrow());
      assertEquals("hello capstan-1", firefox.text("document.getElementById('out').textContent"));

      firefox.click(firefox.find("#slider").orElseThrow());
      firefox.type("\uE011"); // Home
      assertEquals("0", firefox.text("document.getElementById('slider').value"));

      assertEquals(Optional.empty(), firefox.find("#nothing"));
      assertEquals(null, firefox.text("null"));
      byte[] png = firefox.screenshot();
      assertTrue(png.length > 8 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG");

      IllegalStateException thrown = assertThrows(IllegalStateException.class,
          () -> firefox.evaluate("(() => { throw new Error('no such thing') })()"));
      assertTrue(thrown.getMessage().contains("no such thing"), thrown.getMessage());

      assertEquals(List.of(), firefox.pageErrors());
      firefox.evaluate("setTimeout(() => { throw new Error('late failure') }); console.error('said so')");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (firefox.pageErrors().size() < 2 && System.nanoTime() < deadline) {
        firefox.text("1"); // a round trip, for the events to come
      }
      List<String> errors = firefox.pageErrors();
      assertEquals(2, errors.size(), errors.toString());
      assertTrue(errors.stream().anyMatch(e -> e.contains("late failure")), errors.toString());
      assertTrue(errors.stream().anyMatch(e -> e.contains("said so")), errors.toString());
    }
  }

  @Test
  void aBrowserThatExitsAtOnceIsNamedWithItsLog() {
    Path log = Path.of("target", "firefox", "exits.log");
    IllegalStateException thrown = assertThrows(IllegalStateException.class,
        () -> BidiFirefox.start(Path.of("/bin/false"), log, 800, 600));
    assertTrue(thrown.getMessage().contains("exited before it listened for WebDriver BiDi")
        && thrown.getMessage().contains(log.toAbsolutePath().toString()), thrown.getMessage());
  }
}
