package io.capstan.ops;

import io.capstan.nodeagent.runtime.RegistryCredentials;
import io.capstan.nodeagent.image.ImageImporter;
import io.capstan.nodeagent.image.ImagePuller;
import io.capstan.nodeagent.image.ImageStore;
import io.capstan.nodeagent.image.RegistryClient;
import io.capstan.nodeagent.image.RegistryHosts;
import io.capstan.nodeagent.runtime.ImageInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code capstan image import|ls}: the local node's image store, with no registry. */
@Command(
    name = "image",
    mixinStandardHelpOptions = true,
    description = {
      "The local node agent's images (DATA_DIR/node-agent/images), as `capstan up` runs them.",
      "No registry is reachable from Capstan: images arrive by import. A running `up` sees an",
      "import at the next pull of that name."
    },
    subcommands = {ImageCommand.Import.class, ImageCommand.Pull.class, ImageCommand.Ls.class})
public final class ImageCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("capstan image: say `import FILE`, `pull REF` or `ls` (see --help)");
    return 2;
  }

  static ImageStore store(DataDirOptions dataDir) {
    return new ImageStore(dataDir.resolve().resolve(Defaults.NODE_AGENT_SUBDIR).resolve(ImageStore.SUBDIR));
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Imports the images in FILE: an OCI image layout (a directory or a tar of one, e.g. from",
        "`docker save` of Docker 25+, `skopeo copy … oci-archive:`, `buildah push … oci-archive:`) or a",
        "`docker save` tarball. Digests are checked; layers already present are not unpacked again.",
        "Names come from the archive (RepoTags, io.containerd.image.name, a full ref.name) plus --name."
      })
  static final class Import implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The archive (tar, tar.gz) or OCI layout directory.")
    Path file;

    @Option(names = "--name", paramLabel = "NAME",
        description = "Also name the image so (repeatable), e.g. myapp:1.0; needed when the archive names none.")
    List<String> names = new ArrayList<>();

    @Mixin DataDirOptions dataDir;

    @Override
    public Integer call() throws Exception {
      List<ImageInfo> imported = new ImageImporter(store(dataDir), line -> System.err.println("image import: " + line))
          .importFrom(file.toAbsolutePath(), names);
      for (ImageInfo i : imported) {
        System.out.println(String.join(",", i.names()) + " " + i.id());
      }
      return 0;
    }
  }

  @Command(
      name = "pull",
      mixinStandardHelpOptions = true,
      description = {
        "Pulls REF from its registry into the node's image store, as a pod's start does: names as Docker",
        "normalises them (busybox means docker.io/library/busybox:latest), by tag or @sha256 digest, an image",
        "index resolved to this node's platform, every blob checked against its digest. Registries on loopback",
        "are spoken to over plain HTTP; mirrors and users come from DATA_DIR/node-agent/registries.yaml (k3s's",
        "format). Prints the image's names and id."
      })
  static final class Pull implements Callable<Integer> {
    @Parameters(paramLabel = "REF", description = "The image, e.g. 127.0.0.1:5000/team/app:1.0.")
    String reference;

    @Option(names = "--username", description = "User name for a registry that asks for one (HTTP Basic or a token service).")
    String username;

    @Option(names = "--password-stdin", description = "Read the password from standard input.")
    boolean passwordStdin;

    @Mixin DataDirOptions dataDir;

    @Override
    public Integer call() throws Exception {
      Optional<RegistryCredentials> creds = Optional.empty();
      if (username != null) {
        String password = passwordStdin
            ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip() : "";
        creds = Optional.of(new RegistryCredentials(username, password));
      }
      Optional<RegistryCredentials> given = creds;
      RegistryHosts hosts = RegistryHosts.load(dataDir.resolve().resolve(Defaults.NODE_AGENT_SUBDIR)
          .resolve(RegistryHosts.FILE));
      ImageInfo pulled = new ImagePuller(store(dataDir), new RegistryClient(host -> given, hosts),
          line -> System.err.println("image pull: " + line)).pull(reference);
      System.out.println(String.join(",", pulled.names()) + " " + pulled.id());
      return 0;
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "Lists the images: NAME, IMAGE ID, LAYERS, SIZE.")
  static final class Ls implements Callable<Integer> {
    @Mixin DataDirOptions dataDir;

    @Override
    public Integer call() {
      List<ImageInfo> images = new ArrayList<>(store(dataDir).listImages());
      images.sort(Comparator.comparing(i -> i.names().isEmpty() ? "" : i.names().get(0)));
      System.out.printf("%-50s %-20s %-7s %s%n", "NAME", "IMAGE ID", "LAYERS", "SIZE");
      for (ImageInfo i : images) {
        for (String n : i.names()) {
          System.out.printf("%-50s %-20s %-7d %s%n", n, i.id().substring(7, 19), i.layers().size(), size(i.sizeBytes()));
        }
      }
      return 0;
    }

    static String size(long bytes) {
      return bytes >= 1 << 20 ? String.format("%.1fMiB", bytes / 1048576.0) : String.format("%.1fKiB", bytes / 1024.0);
    }
  }
}
