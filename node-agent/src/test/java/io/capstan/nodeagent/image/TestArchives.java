package io.capstan.nodeagent.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Builds tar layers, OCI image layouts and docker save tarballs in memory, for the import tests. */
public final class TestArchives {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestArchives() {}

  /** A tar under construction (ustar headers). */
  public static final class Tar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public Tar file(String name, String content) {
      return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    public Tar file(String name, byte[] content, int mode) {
      header(name, '0', mode, content.length, "");
      out.writeBytes(content);
      out.writeBytes(new byte[(512 - content.length % 512) % 512]);
      return this;
    }

    public Tar dir(String name) {
      header(name, '5', 0755, 0, "");
      return this;
    }

    public Tar symlink(String name, String target) {
      header(name, '2', 0777, 0, target);
      return this;
    }

    public byte[] bytes() {
      ByteArrayOutputStream copy = new ByteArrayOutputStream();
      copy.writeBytes(out.toByteArray());
      copy.writeBytes(new byte[1024]);
      return copy.toByteArray();
    }

    private void header(String name, char type, int mode, long size, String link) {
      byte[] h = new byte[512];
      put(h, 0, 100, name);
      put(h, 100, 8, String.format("%07o", mode));
      put(h, 108, 8, "0000000");
      put(h, 116, 8, "0000000");
      put(h, 124, 12, String.format("%011o", size));
      put(h, 136, 12, String.format("%011o", 1_700_000_000L));
      h[156] = (byte) type;
      put(h, 157, 100, link);
      put(h, 257, 6, "ustar");
      put(h, 263, 2, "00");
      for (int i = 148; i < 156; i++) {
        h[i] = ' ';
      }
      long sum = 0;
      for (byte b : h) {
        sum += b & 0xff;
      }
      put(h, 148, 8, String.format("%06o", sum) + "\0 ");
      out.writeBytes(h);
    }

    private static void put(byte[] h, int off, int len, String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      System.arraycopy(b, 0, h, off, Math.min(b.length, len));
    }
  }

  public static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(b);
    }
    return out.toByteArray();
  }

  public static String sha256(byte[] b) {
    return "sha256:" + HexFormat.of().formatHex(LayerUnpacker.sha256().digest(b));
  }

  /** An image config naming these uncompressed layers as its diff_ids. */
  public static byte[] config(List<byte[]> uncompressedLayers, List<String> cmd) throws IOException {
    ObjectNode c = JSON.createObjectNode();
    c.put("architecture", ImageImporter.hostArchitecture());
    c.put("os", "linux");
    ObjectNode cfg = c.putObject("config");
    cfg.set("Cmd", JSON.valueToTree(cmd));
    cfg.set("Env", JSON.valueToTree(List.of("PATH=/bin")));
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    uncompressedLayers.forEach(l -> ids.add(sha256(l)));
    return JSON.writeValueAsBytes(c);
  }

  /** An OCI image layout as a tar: gzip layers, the config, a manifest and index.json naming it {@code refName}. */
  public static byte[] ociLayout(List<byte[]> uncompressedLayers, byte[] config, String refName) throws IOException {
    Map<String, byte[]> blobs = new LinkedHashMap<>();
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    ObjectNode cd = manifest.putObject("config");
    cd.put("mediaType", "application/vnd.oci.image.config.v1+json");
    cd.put("digest", sha256(config));
    cd.put("size", config.length);
    blobs.put(sha256(config), config);
    ArrayNode layers = manifest.putArray("layers");
    for (byte[] l : uncompressedLayers) {
      byte[] gz = gzip(l);
      ObjectNode d = layers.addObject();
      d.put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip");
      d.put("digest", sha256(gz));
      d.put("size", gz.length);
      blobs.put(sha256(gz), gz);
    }
    byte[] m = JSON.writeValueAsBytes(manifest);
    blobs.put(sha256(m), m);
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    ObjectNode md = index.putArray("manifests").addObject();
    md.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    md.put("digest", sha256(m));
    md.put("size", m.length);
    md.putObject("annotations").put(ImageImporter.REF_NAME, refName);
    Tar tar = new Tar().file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}")
        .file("index.json", JSON.writeValueAsString(index)).dir("blobs/").dir("blobs/sha256/");
    blobs.forEach((digest, b) -> tar.file("blobs/sha256/" + digest.substring(7), b, 0644));
    return tar.bytes();
  }

  /** A docker save tarball (the pre-OCI layout: {@code <n>/layer.tar}, uncompressed) tagged {@code repoTag}. */
  public static byte[] dockerSave(List<byte[]> uncompressedLayers, byte[] config, String repoTag) throws IOException {
    Tar tar = new Tar();
    String configName = sha256(config).substring(7) + ".json";
    tar.file(configName, config, 0644);
    ArrayNode layerNames = JSON.createArrayNode();
    for (int i = 0; i < uncompressedLayers.size(); i++) {
      tar.dir("l" + i + "/").file("l" + i + "/layer.tar", uncompressedLayers.get(i), 0644);
      layerNames.add("l" + i + "/layer.tar");
    }
    ObjectNode m = JSON.createArrayNode().addObject();
    m.put("Config", configName);
    m.putArray("RepoTags").add(repoTag);
    m.set("Layers", layerNames);
    ArrayNode all = JSON.createArrayNode().add(m);
    tar.file("manifest.json", JSON.writeValueAsString(all));
    return tar.bytes();
  }
}
