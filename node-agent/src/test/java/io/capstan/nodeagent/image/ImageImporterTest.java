package io.capstan.nodeagent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.nodeagent.runtime.ImageInfo;
import io.capstan.nodeagent.runtime.ImagePullFailure;
import io.capstan.nodeagent.runtime.runc.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image import from OCI layouts and docker save tarballs built by the test: layers stack through
 * a real overlay mount with their whiteouts applied, a shared layer is unpacked once, a second
 * store on the same directory (another process) sees the import, and damaged or hostile archives
 * are refused with the store left as it was. Needs root (device nodes, trusted xattrs, mount).
 */
class ImageImporterTest {
  @TempDir Path dir;
  final List<String> progress = new ArrayList<>();

  static final byte[] BASE = new TestArchives.Tar().dir("etc/").file("etc/a", "a\n").file("etc/b", "b\n")
      .dir("opt/").dir("opt/x/").file("opt/x/old", "old\n").symlink("etc/link", "/etc/b").bytes();
  static final byte[] TOP = new TestArchives.Tar().file("etc/.wh.a", "").file("opt/x/.wh..wh..opq", "")
      .file("opt/x/new", "new\n").file("etc/c", "c\n").bytes();


  @Test
  void anOciLayoutStacksItsLayersWithWhiteoutsApplied() throws Exception {
    ImageStore store = new ImageStore(dir.resolve("images"));
    ImageStore other = new ImageStore(dir.resolve("images")); // another process's view, opened before
    byte[] config = TestArchives.config(List.of(BASE, TOP), List.of("sh"));
    Path archive = write("image.tar", TestArchives.ociLayout(List.of(BASE, TOP), config, "example.com/team/app:1.0"));

    List<ImageInfo> imported = new ImageImporter(store, progress::add).importFrom(archive, List.of());

    assertEquals(1, imported.size());
    ImageInfo info = imported.get(0);
    assertEquals(List.of("example.com/team/app:1.0"), info.names());
    assertEquals(TestArchives.sha256(config), info.id());
    assertEquals(2, info.layers().size());
    assertEquals(List.of("sh"), info.cmd());
    assertEquals(info.id(), other.pullImage("example.com/team/app:1.0").id(), "a store opened earlier finds it");

    Path merged = Files.createDirectories(dir.resolve("merged"));
    assertEquals(0, LibC.INSTANCE.mount("overlay", merged.toString(), "overlay", 1 /* MS_RDONLY */,
        "lowerdir=" + info.overlayLowerDir()), "read-only overlay of the layers");
    try {
      assertEquals("b\n", Files.readString(merged.resolve("etc/b")));
      assertEquals("c\n", Files.readString(merged.resolve("etc/c")));
      assertFalse(Files.exists(merged.resolve("etc/a")), "the whiteout hides etc/a");
      assertEquals("new\n", Files.readString(merged.resolve("opt/x/new")));
      assertFalse(Files.exists(merged.resolve("opt/x/old")), "the opaque directory hides what the base had");
      assertEquals(Path.of("/etc/b"), Files.readSymbolicLink(merged.resolve("etc/link")));
    } finally {
      LibC.INSTANCE.umount2(merged.toString(), LibC.MNT_DETACH);
    }
    assertTrue(progress.stream().anyMatch(l -> l.startsWith("layer 2/2") && l.contains("unpacked")), progress.toString());
  }

  @Test
  void aDockerSaveTarballSharesTheLayersAlreadyInTheStore() throws Exception {
    ImageStore store = new ImageStore(dir.resolve("images"));
    ImageImporter importer = new ImageImporter(store, progress::add);
    byte[] first = TestArchives.config(List.of(BASE), List.of("sh"));
    importer.importFrom(write("one.tar", TestArchives.ociLayout(List.of(BASE), first, "docker.io/library/base:1")),
        List.of());
    Path baseLayer = store.layer(TestArchives.sha256(BASE));
    Files.writeString(baseLayer.resolve("marker"), "not unpacked again");
    progress.clear();

    byte[] second = TestArchives.config(List.of(BASE, TOP), List.of("echo", "hi"));
    List<ImageInfo> imported = importer.importFrom(write("two.tar", TestArchives.dockerSave(List.of(BASE, TOP), second,
        "app:2")), List.of("capstan.local/app:two"));

    ImageInfo info = imported.get(0);
    assertEquals(List.of("docker.io/library/app:2", "capstan.local/app:two"), info.names());
    assertEquals(baseLayer, info.layers().get(0));
    assertTrue(Files.exists(baseLayer.resolve("marker")), "the shared base layer was not unpacked again");
    assertTrue(progress.stream().anyMatch(l -> l.startsWith("layer 1/2") && l.contains("already in the store")),
        progress.toString());
    assertEquals(info.id(), store.pullImage("app:2").id());
    assertEquals(info.id(), store.pullImage("docker.io/library/app:2").id());
    assertEquals(2, new ImageStore(dir.resolve("images")).listImages().size(), "both images are on disk");
  }

  @Test
  void damagedOrHostileArchivesAreRefusedAndTheStoreIsUnchanged() throws Exception {
    ImageStore store = new ImageStore(dir.resolve("images"));
    ImageImporter importer = new ImageImporter(store, progress::add);
    byte[] config = TestArchives.config(List.of(BASE), List.of("sh"));

    // The config promises other layer content than the archive has.
    byte[] lying = TestArchives.config(List.of(TOP), List.of("sh"));
    IOException e = assertThrows(IOException.class, () -> importer.importFrom(
        write("lying.tar", TestArchives.ociLayout(List.of(BASE), lying, "example.com/lying:1")), List.of()));
    assertTrue(e.getMessage().contains("diff_id"), e.getMessage());

    byte[] escape = new TestArchives.Tar().file("../../escaped", "x").bytes();
    e = assertThrows(IOException.class, () -> importer.importFrom(write("escape.tar", TestArchives.ociLayout(
        List.of(escape), TestArchives.config(List.of(escape), List.of()), "example.com/escape:1")), List.of()));
    assertTrue(e.getMessage().contains("climbs out"), e.getMessage());

    Path outside = Files.createDirectories(dir.resolve("outside"));
    byte[] throughLink = new TestArchives.Tar().symlink("l", outside.toString()).file("l/planted", "x").bytes();
    e = assertThrows(IOException.class, () -> importer.importFrom(write("link.tar", TestArchives.ociLayout(
        List.of(throughLink), TestArchives.config(List.of(throughLink), List.of()), "example.com/link:1")), List.of()));
    assertTrue(e.getMessage().contains("symlink"), e.getMessage());
    assertFalse(Files.exists(outside.resolve("planted")), "nothing was written through the symlink");

    byte[] good = TestArchives.ociLayout(List.of(BASE), config, "example.com/good:1");
    e = assertThrows(IOException.class, () -> importer.importFrom(write("cut.tar",
        Arrays.copyOf(good, good.length / 2 + 100)), List.of()));
    assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("ends inside"), e.getMessage());

    e = assertThrows(IOException.class, () -> importer.importFrom(write("text.tar", "hello, not a tar".getBytes()),
        List.of()));
    assertTrue(e.getMessage().contains("tar"), e.getMessage());

    byte[] unnamed = TestArchives.ociLayout(List.of(BASE), config, "1.0");
    e = assertThrows(IOException.class, () -> importer.importFrom(write("unnamed.tar", unnamed), List.of()));
    assertTrue(e.getMessage().contains("--name"), e.getMessage());

    assertTrue(store.listImages().isEmpty(), "no image was stored");
    try (Stream<Path> layers = Files.list(store.root().resolve(ImageStore.LAYERS))) {
      assertEquals(List.of(), layers.toList(), "no layer, and no half-unpacked leftovers");
    }
    try (Stream<Path> top = Files.list(store.root())) {
      assertEquals(List.of(store.root().resolve(ImageStore.LAYERS)), top.toList(), "no temporary directories left");
    }
    assertThrows(ImagePullFailure.class, () -> store.pullImage("example.com/good:1"));
  }

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }
}
