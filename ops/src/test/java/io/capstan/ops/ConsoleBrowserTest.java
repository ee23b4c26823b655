package io.capstan.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in real headless Chromium, driven by Selenium, and in real headless Firefox ESR,
 * driven over WebDriver BiDi ({@link BidiFirefox}), against the shared {@code capstan up} with a real
 * runc node: signs in with the admin token, finds a Deployment among the workloads, opens its pod and
 * reads the pod's log as it follows it, moves the timeline's cursor to the start of the log (before
 * the Deployment existed) and sees the Deployment gone, then goes live and sees it again.
 * Screenshots of each step go to {@code target/console-screenshots/} ({@code firefox-} for Firefox's).
 */
@SharedUp.Uses(SharedUp.Kind.RUNC)
class ConsoleBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path FIREFOX = Path.of("/usr/bin/firefox-esr");
  private static final Path SHOTS = Path.of("target", "console-screenshots");
  /** Waits in the browser; the machine is shared and loaded. */
  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void signsInFollowsAPodsLogAndTravelsToBeforeItsDeployment() throws Exception {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      Assertions.fail("Chromium and its driver are needed: apt-get install chromium chromium-driver");
    }
    if (!Files.isExecutable(FIREFOX)) {
      Assertions.fail("Firefox is needed: install firefox-esr (apt-get install firefox-esr)");
    }
    Files.createDirectories(SHOTS);
    // In namespace console of the shared cluster (the selectors below name it).
    SharedUp.scenario(SharedUp.Kind.RUNC, "console", cluster -> {
      String token = adminToken(cluster.kubeconfig());
      KubectlRunner.kubectl(cluster.kubeconfig(), "create", "deployment", "web", "--image=capstan.local/busybox",
          "--", "sh", "-c", "i=0; while true; do echo \"hello from web $i\"; i=$((i+1)); sleep 1; done");
      KubectlRunner.kubectl(cluster.kubeconfig(), "rollout", "status", "deployment/web", "--timeout=240s");
      Instant created = Instant.parse(KubectlRunner.kubectl(cluster.kubeconfig(), "get", "deployment", "web", "-o",
          "jsonpath={.metadata.creationTimestamp}"));

      WebDriver browser = chromium();
      try {
        WebDriverWait wait = new WebDriverWait(browser, WAIT);
        browser.get(cluster.api() + "/ui/");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token"))).sendKeys(token);
        browser.findElement(By.id("sign-in")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("app")));
        assertEquals(null, ((JavascriptExecutor) browser).executeScript(
            "return location.href.includes('" + token + "') ? 'token in the URL' : null"));

        // Workloads: the Deployment, then its pod, then the pod's log as it comes.
        click(wait, By.linkText("Workloads"));
        // A live view is rendered again as its watches report changes: click what is there at the time.
        click(wait, By.cssSelector("tr[data-object='deployments/console/web'] a"));
        click(wait, By.cssSelector("tr[data-object^='pods/console/web-'] a"));
        wait.until(ExpectedConditions.textMatches(By.id("pod-log"), Pattern.compile("hello from web \\d+")));
        String first = browser.findElement(By.id("pod-log")).getText();
        // Followed: lines keep coming without a reload.
        wait.until(d -> d.findElement(By.id("pod-log")).getText().length() > first.length());
        shot(browser, "1-pod-log");

        // The timeline: its cursor to the start of the log, before the Deployment existed.
        click(wait, By.linkText("Workloads"));
        wait.until(ExpectedConditions.presenceOfElementLocated(
            By.cssSelector("tr[data-object='deployments/console/web']")));
        wait.until(d -> !d.findElement(By.id("timeline-range")).getText().isEmpty());
        assertTrue(browser.findElements(By.cssSelector(".marker.deployment")).size() >= 1,
            "the Deployment's creation is marked on the timeline");
        WebElement cursor = browser.findElement(By.id("cursor"));
        cursor.sendKeys(Keys.HOME);
        WebElement past = wait.until(ExpectedConditions.presenceOfElementLocated(
            By.cssSelector("div.view[data-view='workloads']:not([data-as-of='live'])")));
        Instant shown = Instant.parse(past.getAttribute("data-as-of"));
        assertTrue(shown.isBefore(created), "the cursor's start " + shown + " is before the Deployment, " + created);
        assertTrue(past.findElements(By.cssSelector("tr[data-object='deployments/console/web']")).isEmpty(),
            "the Deployment is not there before it was made");
        assertTrue(browser.findElement(By.id("mode")).getText().startsWith("As of "),
            browser.findElement(By.id("mode")).getText());
        shot(browser, "2-before-the-deployment");

        // Back to now: there again.
        browser.findElement(By.id("go-live")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(
            "div.view[data-view='workloads'][data-as-of='live'] tr[data-object='deployments/console/web']")));
        assertEquals("Live", browser.findElement(By.id("mode")).getText());
        shot(browser, "3-workloads");
        click(wait, By.linkText("Overview"));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("div.view[data-view='overview']")));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "Key series"));
        shot(browser, "4-overview");
      } catch (Throwable t) {
        shot(browser, "failure");
        throw t;
      } finally {
        browser.quit();
      }
      inFirefox(cluster, token, created);
    });
  }

  /**
   * The same walk in headless Firefox ESR. Debian has no geckodriver for Selenium, so the test
   * speaks WebDriver BiDi to Firefox itself: the page is read with scripts, and clicks and keys are
   * input actions, as a user's.
   */
  private static void inFirefox(RuncUp.Cluster cluster, String token, Instant created) throws Exception {
    try (BidiFirefox firefox = BidiFirefox.start(FIREFOX, Path.of("target", "firefox", "firefox.log"), 1400, 1000)) {
      try {
        firefox.navigate(cluster.api() + "/ui/");
        firefox.click(await(firefox, "the token field", visible("#token")));
        firefox.type(token);
        firefox.click(await(firefox, "the Sign in button", visible("#sign-in")));
        await(firefox, "the console after signing in", visible("#app"));
        assertEquals("false", firefox.text("location.href.includes(" + BidiFirefox.quote(token) + ")"),
            "the token is not in the URL");

        // Workloads: the Deployment, then its pod, then the pod's log as it comes.
        click(firefox, "the Workloads link", link("Workloads"));
        click(firefox, "the Deployment web", query("tr[data-object='deployments/console/web'] a"));
        click(firefox, "a pod of web", query("tr[data-object^='pods/console/web-'] a"));
        String log = "document.getElementById('pod-log')?.innerText ?? ''";
        int first = Integer.parseInt(awaitText(firefox, "the pod's log",
            "(t => /hello from web \\d+/.test(t) ? t.length : null)(" + log + ")"));
        // Followed: lines keep coming without a reload.
        awaitText(firefox, "more of the pod's log", "(" + log + ").length > " + first + " || null");
        firefoxShot(firefox, "1-pod-log");

        // The timeline: its cursor to the start of the log, before the Deployment existed.
        click(firefox, "the Workloads link", link("Workloads"));
        await(firefox, "the Deployment web", query("tr[data-object='deployments/console/web']"));
        awaitText(firefox, "the timeline's range", "document.getElementById('timeline-range').innerText || null");
        assertTrue(Integer.parseInt(firefox.text("document.querySelectorAll('.marker.deployment').length")) >= 1,
            "the Deployment's creation is marked on the timeline");
        firefox.evaluate("document.getElementById('cursor').focus()");
        firefox.type("\uE011"); // Home
        String past = "div.view[data-view='workloads']:not([data-as-of='live'])";
        Instant shown = Instant.parse(awaitText(firefox, "the workloads in the past",
            query(past) + "?.getAttribute('data-as-of')"));
        assertTrue(shown.isBefore(created), "the cursor's start " + shown + " is before the Deployment, " + created);
        assertEquals("0", firefox.text("document.querySelectorAll(\"" + past
            + " tr[data-object='deployments/console/web']\").length"), "the Deployment is not there before it was made");
        String mode = firefox.text("document.getElementById('mode').innerText");
        assertTrue(mode.startsWith("As of "), mode);
        firefoxShot(firefox, "2-before-the-deployment");

        // Back to now: there again.
        click(firefox, "the Live button", query("#go-live"));
        await(firefox, "the Deployment web, live",
            query("div.view[data-view='workloads'][data-as-of='live'] tr[data-object='deployments/console/web']"));
        assertEquals("Live", firefox.text("document.getElementById('mode').innerText"));
        firefoxShot(firefox, "3-workloads");
        click(firefox, "the Overview link", link("Overview"));
        await(firefox, "the overview", query("div.view[data-view='overview']"));
        awaitText(firefox, "the key series", "document.getElementById('main').innerText.includes('Key series') || null");
        firefoxShot(firefox, "4-overview");
        assertEquals(List.of(), firefox.pageErrors(), "the console's errors in Firefox");
      } catch (Throwable t) {
        firefoxShot(firefox, "failure");
        throw t;
      }
    }
  }

  /** A script finding the element that matches {@code css}, or null. */
  private static String query(String css) {
    return "document.querySelector(" + BidiFirefox.quote(css) + ")";
  }

  /** A script finding the element that matches {@code css} when it is shown, or null. */
  private static String visible(String css) {
    return "(e => e && e.getClientRects().length > 0 && !e.closest('[hidden]') ? e : null)(" + query(css) + ")";
  }

  /** A script finding the link whose text is {@code text}, or null. */
  private static String link(String text) {
    return "[...document.querySelectorAll('a')].find(a => a.textContent.trim() === " + BidiFirefox.quote(text)
        + ") ?? null";
  }

  /** The element the script finds once it finds one, failing after {@link #WAIT} naming {@code what}. */
  private static BidiFirefox.Element await(BidiFirefox firefox, String what, String script) throws Exception {
    return poll(what, script, () -> firefox.element(script));
  }

  /** The script's value once it is a string, number or true, failing after {@link #WAIT} naming {@code what}. */
  private static String awaitText(BidiFirefox firefox, String what, String script) throws Exception {
    return poll(what, script, () -> Optional.ofNullable(firefox.text(script))
        .filter(v -> !v.isEmpty() && !v.equals("false")));
  }

  /** Asks the page again until it answers, failing after {@link #WAIT} naming {@code what}. */
  private static <T> T poll(String what, String script, Supplier<Optional<T>> ask) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    while (true) {
      Optional<T> answer = ask.get();
      if (answer.isPresent()) {
        return answer.get();
      }
      if (Instant.now().isAfter(deadline)) {
        return Assertions.fail("Firefox: " + what + " not there within " + WAIT + " (" + script + ")");
      }
      Thread.sleep(200);
    }
  }

  /** Clicks the element once it is there, again if a re-render replaced it under the click. */
  private static void click(BidiFirefox firefox, String what, String script) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    while (true) {
      BidiFirefox.Element element = await(firefox, what, script);
      try {
        firefox.click(element);
        return;
      } catch (BidiFirefox.BidiError e) {
        if (Instant.now().isAfter(deadline)) {
          throw e;
        }
      }
    }
  }

  private static void firefoxShot(BidiFirefox firefox, String name) {
    try {
      Files.write(SHOTS.resolve("firefox-" + name + ".png"), firefox.screenshot());
    } catch (Exception e) {
      System.err.println("screenshot firefox-" + name + " not taken: " + e);
    }
  }

  /** Clicks the element once it is there, again if a re-render replaced it under the click. */
  private static void click(WebDriverWait wait, By what) {
    wait.ignoring(StaleElementReferenceException.class).until(d -> {
      d.findElement(what).click();
      return true;
    });
  }

  private static WebDriver chromium() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // The cluster's serving certificate is signed by its own CA, which this browser does not know.
    options.setAcceptInsecureCerts(true);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
        "--disable-gpu");
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  /** The admin token of the kubeconfig's capstan-token context. */
  private static String adminToken(Path kubeconfig) throws Exception {
    Matcher m = Pattern.compile("\\btoken: (\\S+)").matcher(Files.readString(kubeconfig));
    assertTrue(m.find(), "the kubeconfig has a token");
    return m.group(1);
  }

  private static void shot(WebDriver browser, String name) {
    try {
      byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
      Files.write(SHOTS.resolve(name + ".png"), png);
    } catch (Exception e) {
      System.err.println("screenshot " + name + " not taken: " + e);
    }
  }
}
