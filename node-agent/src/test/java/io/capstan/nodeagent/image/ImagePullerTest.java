package io.capstan.nodeagent.image;

import io.capstan.nodeagent.runtime.RegistryCredentials;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.stateviews.testing.KafkaFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Pulls from a real Docker registry on loopback. */
class ImagePullerTest {
  private static final byte[] BASE = ImageImporterTest.BASE;
  private static final byte[] TOP = ImageImporterTest.TOP;

  private final Path dir = KafkaFixture.tempDir("pull");
  private final List<String> progress = new CopyOnWriteArrayList<>();

  private ImagePuller puller(ImageStore store, RegistryCredentials creds) {
    return new ImagePuller(store, new RegistryClient(host -> Optional.ofNullable(creds)), progress::add);
  }

  @Test
  void pullsByTagAndByDigestSharingLayersAndChoosesThisPlatformFromAnIndex() throws Exception {
    try (LoopbackRegistry registry = LoopbackRegistry.start(dir.resolve("registry"), null, null)) {
      byte[] config = TestArchives.config(List.of(BASE, TOP), List.of("sh"));
      byte[] manifest = registry.pushImage("team/app", "1.0", List.of(BASE, TOP), config);
      ImageStore store = new ImageStore(dir.resolve("images"));
      ImagePuller puller = puller(store, null);

      ImageInfo byTag = puller.pull(registry.host + "/team/app:1.0");
      assertEquals(TestArchives.sha256(config), byTag.id());
      String repoDigest = registry.host + "/team/app@" + TestArchives.sha256(manifest);
      assertEquals(List.of(registry.host + "/team/app:1.0", repoDigest), byTag.names());
      assertEquals(List.of("sh"), byTag.cmd());
      assertEquals(2, byTag.layers().size());
      assertEquals("b\n", Files.readString(byTag.layers().get(0).resolve("etc/b")), "the base layer is unpacked");
      assertEquals("new\n", Files.readString(byTag.layers().get(1).resolve("opt/x/new")));
      assertEquals(byTag.id(), store.pullImage(repoDigest).id(), "the store finds it by its repository digest");
      assertEquals(byTag.id(), new ImageStore(dir.resolve("images")).pullImage(registry.host + "/team/app:1.0").id(),
          "another view of the store finds it by tag");

      // The same image by digest, under another repository: its layers are not fetched again.
      registry.pushImage("team/copy", "x", List.of(BASE, TOP), config);
      progress.clear();
      ImageInfo byDigest = puller.pull(registry.host + "/team/copy@" + TestArchives.sha256(manifest));
      assertEquals(byTag.id(), byDigest.id());
      assertTrue(progress.stream().noneMatch(l -> l.startsWith("pulling layer")), "layers shared: " + progress);

      // An index with two platforms: this node's is chosen.
      byte[] otherConfig = TestArchives.config(List.of(BASE), List.of("other"));
      byte[] other = registry.pushImage("team/multi", "other-arch", List.of(BASE), otherConfig);
      String foreign = ImageImporter.hostArchitecture().equals("amd64") ? "arm64" : "amd64";
      Map<byte[], String> platforms = new LinkedHashMap<>();
      platforms.put(other, "linux/" + foreign);
      byte[] mine = registry.pushImage("team/multi", "mine", List.of(BASE, TOP), config);
      platforms.put(mine, "linux/" + ImageImporter.hostArchitecture());
      registry.pushManifest("team/multi", "latest", RegistryClient.OCI_INDEX, LoopbackRegistry.index(platforms));
      ImageInfo multi = puller.pull(registry.host + "/team/multi");
      assertEquals(TestArchives.sha256(config), multi.id(), "this platform's image, not " + foreign + "'s");
      assertTrue(multi.names().contains(registry.host + "/team/multi:latest"), multi.names().toString());
    }
  }

  @Test
  void zstdLayersAreUnpackedAsGzipOnesAre() throws Exception {
    try (LoopbackRegistry registry = LoopbackRegistry.start(dir.resolve("registry"), null, null)) {
      byte[] config = TestArchives.config(List.of(BASE, TOP), List.of("sh"));
      List<byte[]> zstd = new ArrayList<>();
      for (byte[] layer : List.of(BASE, TOP)) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (com.github.luben.zstd.ZstdOutputStream z = new com.github.luben.zstd.ZstdOutputStream(out)) {
          z.write(layer);
        }
        zstd.add(out.toByteArray());
      }
      registry.pushCompressed("team/zstd", "1", zstd, config, "application/vnd.oci.image.layer.v1.tar+zstd");
      ImageInfo pulled = puller(new ImageStore(dir.resolve("images")), null).pull(registry.host + "/team/zstd:1");
      assertEquals(TestArchives.sha256(config), pulled.id(), "the diff_ids of the unpacked layers matched the config's");
      assertEquals("b\n", Files.readString(pulled.layers().get(0).resolve("etc/b")));
      assertEquals("new\n", Files.readString(pulled.layers().get(1).resolve("opt/x/new")));
    }
  }

  @Test
  void aMissingImageADamagedBlobAndAForeignOnlyIndexFailWithTheirReasonAndStoreNothing() throws Exception {
    try (LoopbackRegistry registry = LoopbackRegistry.start(dir.resolve("registry"), null, null)) {
      ImageStore store = new ImageStore(dir.resolve("images"));
      ImagePuller puller = puller(store, null);
      IOException missing = assertThrows(IOException.class, () -> puller.pull(registry.host + "/team/none:1"));
      assertTrue(missing.getMessage().contains("manifest unknown: " + registry.host + " has no team/none:1"),
          missing.getMessage());

      byte[] config = TestArchives.config(List.of(BASE), List.of("sh"));
      registry.pushImage("team/bad", "1", List.of(BASE), config);
      String layerDigest = TestArchives.sha256(TestArchives.gzip(BASE));
      byte[] data = Files.readAllBytes(registry.blobData(layerDigest));
      data[data.length / 2] ^= 0x55;
      Files.write(registry.blobData(layerDigest), data);
      IOException damaged = assertThrows(IOException.class, () -> puller.pull(registry.host + "/team/bad:1"));
      assertTrue(damaged.getMessage().contains("as its manifest says: the registry served other content"),
          damaged.getMessage());

      String foreign = ImageImporter.hostArchitecture().equals("amd64") ? "arm64" : "amd64";
      byte[] m = registry.pushImage("team/foreign", "only", List.of(TOP), TestArchives.config(List.of(TOP), List.of()));
      registry.pushManifest("team/foreign", "1", RegistryClient.OCI_INDEX, LoopbackRegistry.index(Map.of(m, "linux/" + foreign)));
      IOException noPlatform = assertThrows(IOException.class, () -> puller.pull(registry.host + "/team/foreign:1"));
      assertTrue(noPlatform.getMessage().contains("has no linux/" + ImageImporter.hostArchitecture() + " image"),
          noPlatform.getMessage());

      assertTrue(store.listImages().isEmpty(), "nothing named: " + store.listImages());
      assertFalse(Files.isDirectory(store.layer(TestArchives.sha256(BASE))), "nothing unpacked");
      try (Stream<Path> left = Files.list(store.root())) {
        List<Path> rest = new ArrayList<>(left.filter(p -> p.getFileName().toString().startsWith(".pull-")).toList());
        assertEquals(List.of(), rest, "no download left behind");
      }
    }
  }

  @Test
  void aRegistryThatAsksForAPasswordGetsTheConfiguredOneAndRefusesOthers() throws Exception {
    try (LoopbackRegistry registry = LoopbackRegistry.start(dir.resolve("registry"), "puller", "s3cret")) {
      byte[] config = TestArchives.config(List.of(BASE), List.of("sh"));
      registry.pushImage("team/private", "1", List.of(BASE), config);
      String ref = registry.host + "/team/private:1";

      IOException anonymous = assertThrows(IOException.class,
          () -> puller(new ImageStore(dir.resolve("a")), null).pull(ref));
      assertTrue(anonymous.getMessage().contains("asks for a user name and password (HTTP Basic), and none is configured"),
          anonymous.getMessage());
      IOException wrong = assertThrows(IOException.class,
          () -> puller(new ImageStore(dir.resolve("b")), new RegistryCredentials("puller", "guess")).pull(ref));
      assertTrue(wrong.getMessage().contains("refused the credentials for team/private (401 Unauthorized)"),
          wrong.getMessage());

      ImageInfo pulled = puller(new ImageStore(dir.resolve("c")), new RegistryCredentials("puller", "s3cret")).pull(ref);
      assertEquals(TestArchives.sha256(config), pulled.id());
    }
  }

  /**
   * Pull policy Always on a present image: a registry that cannot be reached leaves the store's
   * copy in use (a node that imported its images has no registry); one that answers without the
   * image fails the pull; images of capstan.local are never asked for.
   */
  @Test
  void refreshingAPresentImageAsksItsRegistryButKeepsTheCopyWhenTheRegistryIsUnreachable() throws Exception {
    ImageStore store = new ImageStore(dir.resolve("images")).pullingFrom(new RegistryClient(host -> Optional.empty()));
    byte[] config = TestArchives.config(List.of(BASE), List.of("sh"));
    ImageImporter importer = new ImageImporter(store, progress::add);
    Path archive = Files.write(dir.resolve("a.tar"), TestArchives.ociLayout(List.of(BASE), config, "127.0.0.1:1/team/x:latest"));
    importer.importFrom(archive, List.of("capstan.local/mine:latest"));
    assertEquals(TestArchives.sha256(config), store.pullImage("127.0.0.1:1/team/x:latest", true, h -> Optional.empty()).id(),
        "nothing listens on port 1: the copy is used");
    assertEquals(TestArchives.sha256(config), store.pullImage("capstan.local/mine:latest", true, h -> Optional.empty()).id());
    try (LoopbackRegistry registry = LoopbackRegistry.start(dir.resolve("registry"), null, null)) {
      Path other = Files.write(dir.resolve("b.tar"), TestArchives.ociLayout(List.of(BASE), config, registry.host + "/team/y:1"));
      importer.importFrom(other, List.of());
      io.capstan.nodeagent.runtime.ImagePullFailure gone = assertThrows(io.capstan.nodeagent.runtime.ImagePullFailure.class,
          () -> store.pullImage(registry.host + "/team/y:1", true, h -> Optional.empty()));
      assertTrue(gone.getMessage().contains("manifest unknown"), gone.getMessage());
      assertEquals(TestArchives.sha256(config), store.pullImage(registry.host + "/team/y:1").id(),
          "without refresh (IfNotPresent) the copy is used");
    }
  }

  /** registries.yaml (k3s's format): docker.io's images come from a mirror on loopback, with the user it configures. */
  @Test
  void aMirrorServesARegistrysImagesUnderTheRegistrysName() throws Exception {
    try (LoopbackRegistry mirror = LoopbackRegistry.start(dir.resolve("mirror"), "puller", "s3cret")) {
      byte[] config = TestArchives.config(List.of(BASE), List.of("sh"));
      mirror.pushImage("library/mirrored", "1", List.of(BASE), config);
      Path file = Files.writeString(dir.resolve(RegistryHosts.FILE), """
          mirrors:
            docker.io:
              endpoint:
                - "http://%s"
          configs:
            "%s":
              auth: {username: puller, password: s3cret}
          """.formatted(mirror.host, mirror.host));
      RegistryHosts hosts = RegistryHosts.load(file);
      assertEquals(List.of(mirror.host, "docker.io"), hosts.endpoints("docker.io"));
      ImageStore store = new ImageStore(dir.resolve("images"));
      ImageInfo pulled = new ImagePuller(store, new RegistryClient(h -> Optional.empty(), hosts), progress::add)
          .pull("mirrored:1");
      assertEquals(TestArchives.sha256(config), pulled.id());
      assertEquals("docker.io/library/mirrored:1", pulled.names().get(0), "named after the registry, not the mirror");

      IOException nowhere = assertThrows(IOException.class, () -> new ImagePuller(store,
          new RegistryClient(h -> Optional.empty(), hosts), progress::add).pull("absent:1"));
      assertTrue(nowhere.getMessage().startsWith("no endpoint of docker.io gave docker.io/library/absent:1: " + mirror.host
          + ": manifest unknown"), nowhere.getMessage());
    }
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "mirrors:\n  docker.io:\n    endpoint: ftp://x\n");
    IOException refused = assertThrows(IOException.class, () -> RegistryHosts.load(bad));
    assertTrue(refused.getMessage().endsWith("mirrors.docker.io.endpoint must be a list of addresses"), refused.getMessage());
  }
}
