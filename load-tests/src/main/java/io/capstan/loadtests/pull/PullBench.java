package io.capstan.loadtests.pull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.loadtests.report.CpuAccount;
import io.capstan.loadtests.report.JsonLine;
import io.capstan.loadtests.stack.BenchStack;
import io.capstan.nodeagent.image.ImageImporter;
import io.capstan.nodeagent.image.ImagePuller;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.image.LoopbackRegistry;
import io.capstan.nodeagent.image.RegistryClient;
import io.capstan.nodeagent.runtime.ImageInfo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image pull throughput: an image of L layers of M MiB each is pushed to a real registry on
 * loopback (Debian's docker-registry), then pulled alternately by Capstan's puller (download,
 * digest checks and unpacking into a fresh image store) and by {@code skopeo copy} into an OCI
 * layout (download and digest checks, no unpacking), R times each; throughput is the compressed
 * bytes fetched per second, and Capstan's share of skopeo's is the figure the floor is on.
 */
public final class PullBench {
  private static final Logger log = LoggerFactory.getLogger(PullBench.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String SKOPEO = "/usr/bin/skopeo";

  /**
   * @param layers   layers in the image
   * @param layerMiB uncompressed size of each layer (files of mixed, half-compressible content)
   * @param runs     pulls by each client, alternating
   * @param warmups  unmeasured pulls by each client first (the JIT compiles the unpacker's hot loops)
   */
  public record Settings(int layers, int layerMiB, int runs, int warmups) {
    public static final int DEFAULT_WARMUPS = 3;

    public static final int DEFAULT_LAYERS = 4;
    public static final int DEFAULT_LAYER_MIB = 32;
    public static final int DEFAULT_RUNS = 3;
  }

  /** @param cpuMsPerMiB this JVM's CPU per compressed MiB pulled, over Capstan's pulls */
  public record Result(int layers, double imageMiB, double capstanMiBPerS, double skopeoMiBPerS, double cpuMsPerMiB,
      int runs, int warmups) {
    public double ratio() {
      return capstanMiBPerS / skopeoMiBPerS;
    }

    public String json() {
      return new JsonLine("pull").put("layers", layers).put("image_mib", imageMiB)
          .put("capstan_mib_per_s", capstanMiBPerS).put("skopeo_mib_per_s", skopeoMiBPerS)
          .put("ratio", ratio()).put("cpu_ms_per_mib", cpuMsPerMiB).put("runs", runs).put("warmups", warmups)
          .toString();
    }
  }

  private PullBench() {}

  public static Result run(Settings s) throws Exception {
    if (!Files.isExecutable(Path.of(SKOPEO))) {
      throw new IllegalStateException(SKOPEO + " is missing: apt-get install -y skopeo (./capstan test installs it)");
    }
    Path work = Files.createTempDirectory("capstan-bench-pull-");
    try (LoopbackRegistry registry = LoopbackRegistry.start(work.resolve("registry"), null, null)) {
      List<byte[]> layers = new ArrayList<>();
      List<byte[]> uncompressed = new ArrayList<>();
      long compressedBytes = 0;
      for (int i = 0; i < s.layers(); i++) {
        byte[] tar = layerTar(i, s.layerMiB());
        uncompressed.add(tar);
        byte[] gz = LoopbackRegistry.gzip(tar, Deflater.BEST_SPEED);
        layers.add(gz);
        compressedBytes += gz.length;
      }
      byte[] config = config(uncompressed);
      registry.pushCompressed("bench/image", "1", layers, config);
      double mib = compressedBytes / 1048576.0;
      log.info("pushed bench/image:1 to {}: {} layer(s), {} MiB compressed", registry.host, s.layers(),
          String.format("%.1f", mib));
      String ref = registry.host + "/bench/image:1";
      List<Double> ours = new ArrayList<>();
      List<Double> theirs = new ArrayList<>();
      long cpuNanos = 0;
      // one client for every pull, as a node agent keeps one
      RegistryClient client = new RegistryClient(h -> Optional.empty());
      for (int run = -s.warmups(); run < s.runs(); run++) {
        boolean measured = run >= 0;
        Path store = work.resolve("store-" + (run + s.warmups()));
        CpuAccount cpu = CpuAccount.start();
        long t0 = System.nanoTime();
        ImageInfo pulled = new ImagePuller(new ImageStore(store), client, line -> { })
            .pull(ref);
        double ourSeconds = (System.nanoTime() - t0) / 1e9;
        if (measured) {
          cpuNanos += (long) (cpu.spent().msPer(1) * 1e6);
        }
        if (pulled.layers().size() != s.layers()) {
          throw new IllegalStateException("the pull gave " + pulled.layers().size() + " layers, not " + s.layers());
        }
        BenchStack.deleteTree(store);
        Path oci = work.resolve("oci-" + (run + s.warmups()));
        long t1 = System.nanoTime();
        skopeo(ref, oci);
        double theirSeconds = (System.nanoTime() - t1) / 1e9;
        BenchStack.deleteTree(oci);
        if (measured) {
          ours.add(mib / ourSeconds);
          theirs.add(mib / theirSeconds);
        }
        log.info("{} {}: capstan {} MiB/s, skopeo {} MiB/s", measured ? "run" : "warm-up", measured ? run + 1
            : run + s.warmups() + 1, String.format("%.1f", mib / ourSeconds),
            String.format("%.1f", mib / theirSeconds));
      }
      return new Result(s.layers(), mib, median(ours), median(theirs), cpuNanos / 1e6 / (mib * s.runs()), s.runs(),
          s.warmups());
    } finally {
      BenchStack.deleteTree(work);
    }
  }

  private static void skopeo(String ref, Path oci) throws Exception {
    Process p = new ProcessBuilder(SKOPEO, "copy", "--quiet", "--src-tls-verify=false", "docker://" + ref,
        "oci:" + oci + ":image").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("skopeo copy of " + ref + " failed: " + out);
    }
  }

  /**
   * A layer of files whose content is half random, half repeated text: it compresses about as
   * much as a real image's binaries and text do.
   */
  static byte[] layerTar(int layer, int mib) {
    SplittableRandom random = new SplittableRandom(layer);
    ByteArrayOutputStream out = new ByteArrayOutputStream(mib * 1048576 + 65536);
    int files = Math.max(1, mib);
    for (int f = 0; f < files; f++) {
      byte[] content = new byte[1048576];
      for (int i = 0; i < content.length; i++) {
        content[i] = i % 2048 < 1024 ? (byte) random.nextInt(256) : (byte) ('a' + i % 26);
      }
      header(out, "data/l" + layer + "-f" + f, content.length);
      out.writeBytes(content);
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private static void header(ByteArrayOutputStream out, String name, long size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, "0000644");
    put(h, 108, "0000000");
    put(h, 116, "0000000");
    put(h, 124, String.format("%011o", size));
    put(h, 136, String.format("%011o", 1_700_000_000L));
    h[156] = '0';
    put(h, 257, "ustar");
    put(h, 263, "00");
    java.util.Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, String.format("%06o", sum) + "\0 ");
    out.writeBytes(h);
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }

  private static byte[] config(List<byte[]> uncompressed) throws Exception {
    ObjectNode c = JSON.createObjectNode();
    c.put("architecture", ImageImporter.hostArchitecture());
    c.put("os", "linux");
    c.putObject("config").putArray("Cmd").add("true");
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    uncompressed.forEach(l -> ids.add(LoopbackRegistry.sha256(l)));
    return JSON.writeValueAsBytes(c);
  }

  private static double median(List<Double> xs) {
    List<Double> sorted = new ArrayList<>(xs);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
