package io.capstan.logschema.client;

import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.DeleteOptions;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.generic.IndexedRecord;

/**
 * Builds Command envelopes for an object or a key, ready for {@link CommandClient#send}. The
 * request id, client id, actor and send time are left empty: the client fills them. Use these to
 * set what the shortcuts of {@link CommandClient} do not, e.g. {@code dryRun}:
 * <pre>{@code
 * Command c = Commands.create(configMap);
 * c.setDryRun(true);
 * client.send(c);
 * }</pre>
 */
public final class Commands {
  /** As kube-apiserver's generateName: five characters without vowels or look-alikes. */
  private static final char[] NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789".toCharArray();
  private static final int NAME_SUFFIX_LENGTH = 5;
  private static final int MAX_GENERATED_NAME_LENGTH = 63;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Commands() {}

  /**
   * Create the object. Without {@code metadata.name} but with {@code metadata.generateName} a
   * name is generated here (as the apiserver does), because the name is part of the object key
   * that routes the command; the object itself is not modified.
   */
  public static Command create(IndexedRecord object) {
    return ofObject(CommandOp.CREATE, object);
  }

  /** Replace the object's spec and metadata; guarded by {@code metadata.resourceVersion} when set. */
  public static Command update(IndexedRecord object) {
    return ofObject(CommandOp.UPDATE, object);
  }

  /** The pods/ephemeralcontainers subresource an UPDATE of a Pod narrowed to its ephemeral containers. */
  public static final String EPHEMERAL_CONTAINERS = "ephemeralcontainers";

  /**
   * Add ephemeral containers to a pod (the pods/ephemeralcontainers subresource): only the pod's
   * {@code spec.ephemeralContainers} is taken from {@code pod}, and existing entries may not change.
   */
  public static Command updateEphemeralContainers(IndexedRecord pod) {
    Command c = ofObject(CommandOp.UPDATE, pod);
    c.setSubresource(EPHEMERAL_CONTAINERS);
    return c;
  }

  /** Replace the object's status (the status subresource). */
  public static Command updateStatus(IndexedRecord object) {
    return ofObject(CommandOp.UPDATE_STATUS, object);
  }

  /**
   * Server-side apply of {@code config} (JSON) to the object of a key, or with {@code status} to
   * its status: the processor merges it into the stored object (creating it when absent).
   */
  public static Command apply(Kind kind, String namespace, String name, boolean status, String config, boolean force) {
    Command c = envelope(status ? CommandOp.UPDATE_STATUS : CommandOp.UPDATE, kind, namespace, name);
    c.setPatch(new io.capstan.log.CommandPatch(APPLY_PATCH, config));
    c.setForce(force);
    return c;
  }

  /** The patch content type of a server-side apply. */
  public static final String APPLY_PATCH = "application/apply-patch+yaml";

  /** Delete the object of a key; {@code options} may be null. */
  public static Command delete(Kind kind, String namespace, String name, DeleteOptions options) {
    if (kind == null) {
      throw new IllegalArgumentException("delete: kind is required");
    }
    Command c = envelope(CommandOp.DELETE, kind, namespace, name);
    c.setDeleteOptions(options);
    return c;
  }

  /** Bind a pod to a node (the pods/binding subresource). */
  public static Command bind(String namespace, String podName, String nodeName) {
    if (nodeName == null || nodeName.isEmpty()) {
      throw new IllegalArgumentException("bind " + namespace + "/" + podName + ": nodeName is required");
    }
    Command c = envelope(CommandOp.BIND, Kinds.POD, namespace, podName);
    c.setNodeName(nodeName);
    return c;
  }

  static Command ofObject(CommandOp op, IndexedRecord object) {
    if (object == null) {
      throw new IllegalArgumentException(op + ": object is required");
    }
    Schema schema = object.getSchema();
    Kind kind = Kinds.bySchema(schema).orElseThrow(() -> new IllegalArgumentException(
        op + ": " + schema.getFullName() + " is not the schema of any Capstan kind"));
    ObjectMeta meta = metadataOf(kind, object);
    String name = meta.getName();
    if ((name == null || name.isEmpty()) && op == CommandOp.CREATE && meta.getGenerateName() != null
        && !meta.getGenerateName().isEmpty()) {
      name = generateName(meta.getGenerateName());
      object = SpecificData.get().deepCopy(schema, object);
      metadataOf(kind, object).setName(name);
    }
    Command c = envelope(op, kind, meta.getNamespace(), name);
    c.setObject(ByteBuffer.wrap(LogCodec.get().encode(object)));
    return c;
  }

  /** The envelope for a key; checks the key against the kind's scope. */
  static Command envelope(CommandOp op, Kind kind, String namespace, String name) {
    String ns = namespace == null ? "" : namespace;
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException(op + " " + kind.kind() + ": metadata.name is required"
          + (op == CommandOp.CREATE ? " (or metadata.generateName)" : ""));
    }
    if (name.indexOf('/') >= 0) {
      throw new IllegalArgumentException(op + " " + kind.kind() + ": metadata.name \"" + name + "\" must not contain '/'");
    }
    if (kind.namespaced() && ns.isEmpty()) {
      throw new IllegalArgumentException(op + " " + kind.kind() + " " + name
          + ": metadata.namespace is required (" + kind.kind() + " is namespaced)");
    }
    if (!kind.namespaced() && !ns.isEmpty()) {
      throw new IllegalArgumentException(op + " " + kind.kind() + " " + name + ": metadata.namespace must be empty ("
          + kind.kind() + " is cluster-scoped) but is \"" + ns + "\"");
    }
    if (ns.indexOf('/') >= 0) {
      throw new IllegalArgumentException(op + " " + kind.kind() + ": metadata.namespace \"" + ns + "\" must not contain '/'");
    }
    return Command.newBuilder()
        .setRequestId("")
        .setClientId("")
        .setOp(op)
        .setKind(kind.kind())
        .setNamespace(ns)
        .setName(name)
        .build();
  }

  private static ObjectMeta metadataOf(Kind kind, IndexedRecord object) {
    Schema.Field f = object.getSchema().getField("metadata");
    Object m = f == null ? null : object.get(f.pos());
    if (!(m instanceof ObjectMeta meta)) {
      throw new IllegalArgumentException(kind.kind() + ": metadata is required");
    }
    return meta;
  }

  static String generateName(String base) {
    String prefix = base.length() > MAX_GENERATED_NAME_LENGTH - NAME_SUFFIX_LENGTH
        ? base.substring(0, MAX_GENERATED_NAME_LENGTH - NAME_SUFFIX_LENGTH)
        : base;
    StringBuilder b = new StringBuilder(prefix);
    for (int i = 0; i < NAME_SUFFIX_LENGTH; i++) {
      b.append(NAME_SUFFIX_ALPHABET[RANDOM.nextInt(NAME_SUFFIX_ALPHABET.length)]);
    }
    return b.toString();
  }
}
