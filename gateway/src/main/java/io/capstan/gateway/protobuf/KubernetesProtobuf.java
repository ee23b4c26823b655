package io.capstan.gateway.protobuf;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.gateway.errors.ApiException;
import io.capstan.gateway.errors.ApiStatus;
import io.capstan.gateway.protobuf.FieldTable.Message;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import java.util.List;
import java.util.Optional;

/**
 * A request body in Kubernetes' protobuf encoding ({@code application/vnd.kubernetes.protobuf}),
 * as client-go's protobuf serializer writes it: the 4-byte magic {@code k8s\0}, then a
 * {@code runtime.Unknown} message (apimachinery {@code pkg/runtime/generated.proto}: typeMeta = 1
 * {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4) whose {@code raw}
 * bytes are the object encoded with its k8s.io/api message. The object comes out as the JSON tree
 * a JSON body of it would be, for the gateway's one conversion and validation path.
 */
public final class KubernetesProtobuf {
  public static final String MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  /**
   * The object as JSON (apiVersion and kind first) and the paths of protobuf fields that were
   * skipped because the field table has no such number, for fieldValidation.
   */
  /** @param kind the stored kind, null for an object that is not one */
  public record Decoded(Kind kind, ObjectNode object, List<String> unknownFields) {
    public Decoded {
      unknownFields = List.copyOf(unknownFields);
    }

    /** Worded as kube-apiserver words an unknown JSON field. */
    public List<String> unknownFieldWarnings() {
      return unknownFields.stream().map(p -> "unknown field \"" + p + "\"").toList();
    }
  }

  private record Envelope(String apiVersion, String kind, byte[] raw, String contentEncoding, String contentType) { }

  private final FieldTable table;

  public KubernetesProtobuf(FieldTable table) {
    this.table = table;
  }

  /** The decoder with the table shipped in the gateway. */
  public static KubernetesProtobuf standard() {
    return new KubernetesProtobuf(FieldTable.kubernetes());
  }

  /**
   * Decodes a request body for {@code pathKind} (the kind the URL names). 400 BadRequest for a body
   * that is not this encoding or not well-formed, or that holds another kind than the URL's; 415
   * for a kind (or subresource object such as a Scale) this gateway has no protobuf table for.
   */
  public Decoded decode(byte[] body, Kind pathKind) {
    Envelope envelope = envelope(body);
    if (!envelope.contentEncoding().isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: contentEncoding \"" + envelope.contentEncoding()
          + "\" is not supported (only unencoded objects are)"));
    }
    if (!envelope.contentType().isEmpty() && !envelope.contentType().equals(MEDIA_TYPE)) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: the object inside is \"" + envelope.contentType()
          + "\", expected \"" + MEDIA_TYPE + "\""));
    }
    if (envelope.apiVersion().isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: typeMeta.apiVersion is missing"));
    }
    if (envelope.kind().isEmpty()) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: typeMeta.kind is missing"));
    }
    Optional<Kind> bodyKind = Kinds.byApiVersionAndKind(envelope.apiVersion(), envelope.kind());
    String version = envelope.apiVersion().substring(envelope.apiVersion().indexOf('/') + 1);
    Optional<Message> message = bodyKind.flatMap(k -> table.message(messageName(k, version)));
    if (message.isEmpty()) {
      ApiStatus plain = ApiStatus.unsupportedMediaType(MEDIA_TYPE, List.of("application/json", "application/yaml"));
      throw new ApiException(new ApiStatus(415, plain.reason(), plain.message() + ": this server decodes protobuf "
          + "bodies only for its own resource kinds, not " + envelope.apiVersion() + " " + envelope.kind()
          + "; send it as JSON (Content-Type: application/json)", null));
    }
    if (!bodyKind.get().equals(pathKind)) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: the object is a " + envelope.apiVersion() + " "
          + envelope.kind() + " but the request is for " + pathKind.plural() + " (" + pathKind.apiVersion() + " "
          + pathKind.kind() + ")"));
    }
    MessageDecoder decoder = new MessageDecoder(table);
    ObjectNode object;
    try {
      object = decoder.decode(message.get(), new WireReader(envelope.raw()));
    } catch (MalformedProtobufException e) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: malformed " + pathKind.kind() + ": " + e.getMessage()
          + " of the object"));
    }
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("apiVersion", envelope.apiVersion()).put("kind", envelope.kind());
    object.remove(List.of("apiVersion", "kind"));
    json.setAll(object);
    return new Decoded(pathKind, json, decoder.unknownFields());
  }

  /**
   * Decodes a request body that must hold {@code apiVersion} {@code kind}, an object the gateway
   * answers without storing it (TokenRequest, TokenReview, SelfSubjectReview): 400 for any other
   * object or a malformed body, 415 when the field table has no message for it.
   */
  public Decoded decode(byte[] body, String apiVersion, String kind) {
    Envelope envelope = envelope(body);
    if (!envelope.contentEncoding().isEmpty() || (!envelope.contentType().isEmpty()
        && !envelope.contentType().equals(MEDIA_TYPE))) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: only unencoded " + MEDIA_TYPE
          + " objects are supported"));
    }
    if (!envelope.apiVersion().equals(apiVersion) || !envelope.kind().equals(kind)) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: the object is a " + envelope.apiVersion() + " "
          + envelope.kind() + " but the request is for a " + apiVersion + " " + kind));
    }
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "core" : apiVersion.substring(0, slash).split("\\.", 2)[0];
    String name = "k8s.io.api." + group + "." + apiVersion.substring(slash + 1) + "." + kind;
    Message message = table.message(name).orElseThrow(() -> new ApiException(ApiStatus.unsupportedMediaType(
        MEDIA_TYPE, List.of("application/json", "application/yaml"))));
    MessageDecoder decoder = new MessageDecoder(table);
    ObjectNode object;
    try {
      object = decoder.decode(message, new WireReader(envelope.raw()));
    } catch (MalformedProtobufException e) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: malformed " + kind + ": " + e.getMessage()
          + " of the object"));
    }
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("apiVersion", apiVersion).put("kind", kind);
    object.remove(List.of("apiVersion", "kind"));
    json.setAll(object);
    return new Decoded(null, json, decoder.unknownFields());
  }

  /** The k8s.io/api message of a kind in its storage version. */
  static String messageName(Kind kind) {
    return messageName(kind, kind.version());
  }

  /**
   * The k8s.io/api message of a kind in one of its versions (a body in autoscaling/v1 is a v1
   * HorizontalPodAutoscaler): {@code k8s.io.api.<group's first label, core for "">.<version>.<Kind>}.
   */
  static String messageName(Kind kind, String version) {
    String group = kind.group().isEmpty() ? "core" : kind.group().split("\\.", 2)[0];
    return "k8s.io.api." + group + "." + version + "." + kind.kind();
  }

  private static Envelope envelope(byte[] body) {
    if (body.length < MAGIC.length || body[0] != MAGIC[0] || body[1] != MAGIC[1] || body[2] != MAGIC[2]
        || body[3] != MAGIC[3]) {
      throw new ApiException(ApiStatus.badRequest("protobuf body does not start with the Kubernetes protobuf "
          + "magic number \"k8s\\x00\""));
    }
    String apiVersion = "";
    String kind = "";
    byte[] raw = new byte[0];
    String contentEncoding = "";
    String contentType = "";
    try {
      WireReader in = new WireReader(body, MAGIC.length, body.length);
      while (!in.atEnd()) {
        WireReader.Tag tag = in.tag();
        if (tag.wireType() != WireReader.LENGTH_DELIMITED || tag.number() > 4) {
          in.skip(tag); // runtime.Unknown has only length-delimited fields; others are skipped as unknown
          continue;
        }
        WireReader value = in.delimited();
        switch (tag.number()) {
          case 1 -> {
            while (!value.atEnd()) {
              WireReader.Tag t = value.tag();
              if (t.wireType() == WireReader.LENGTH_DELIMITED && t.number() == 1) {
                apiVersion = value.delimited().utf8();
              } else if (t.wireType() == WireReader.LENGTH_DELIMITED && t.number() == 2) {
                kind = value.delimited().utf8();
              } else {
                value.skip(t);
              }
            }
          }
          case 2 -> raw = value.remainingBytes();
          case 3 -> contentEncoding = value.utf8();
          case 4 -> contentType = value.utf8();
          default -> throw new IllegalStateException();
        }
      }
    } catch (MalformedProtobufException e) {
      throw new ApiException(ApiStatus.badRequest("protobuf body: malformed runtime.Unknown envelope: "
          + e.getMessage()));
    }
    return new Envelope(apiVersion, kind, raw, contentEncoding, contentType);
  }
}
