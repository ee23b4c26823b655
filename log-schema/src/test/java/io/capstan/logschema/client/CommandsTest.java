package io.capstan.logschema.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.api.ConfigMap;
import io.capstan.api.Namespace;
import io.capstan.api.ObjectMeta;
import io.capstan.log.Command;
import io.capstan.log.CommandOp;
import io.capstan.log.DeleteOptions;
import io.capstan.log.ErrorStatus;
import io.capstan.log.Reply;
import io.capstan.logschema.codec.LogCodec;
import io.capstan.logschema.kinds.Kinds;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandsTest {

  private static ConfigMap configMap(String ns, String name) {
    return ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name).build())
        .setData(Map.of("k", "v"))
        .build();
  }

  @Test
  void createCarriesTheKeyAndTheEncodedObject() {
    Command c = Commands.create(configMap("team-a", "settings"));
    assertEquals(CommandOp.CREATE, c.getOp());
    assertEquals("ConfigMap", c.getKind());
    assertEquals("team-a", c.getNamespace());
    assertEquals("settings", c.getName());
    assertEquals("", c.getRequestId(), "the client fills the request id");
    ConfigMap back = LogCodec.get().decode(bytes(c.getObject()), ConfigMap.class);
    assertEquals("v", back.getData().get("k"));
  }

  @Test
  void clusterScopedKindsHaveAnEmptyNamespace() {
    Namespace ns = Namespace.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("team-a").build()).build();
    Command c = Commands.create(ns);
    assertEquals("", c.getNamespace());
    assertEquals("Namespace", c.getKind());
  }

  @Test
  void generateNameMakesANameWithoutTouchingTheCallersObject() {
    ConfigMap cm = ConfigMap.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setGenerateName("web-").build()).build();
    Command c = Commands.create(cm);
    assertTrue(c.getName().matches("web-[bcdfghjklmnpqrstvwxz2456789]{5}"), c.getName());
    assertNull(cm.getMetadata().getName(), "caller's object unchanged");
    ConfigMap sent = LogCodec.get().decode(bytes(c.getObject()), ConfigMap.class);
    assertEquals(c.getName(), sent.getMetadata().getName());
  }

  @Test
  void generatedNamesStayWithin63Characters() {
    String name = Commands.generateName("x".repeat(80));
    assertEquals(63, name.length());
  }

  @Test
  void badKeysAreRejectedNamingTheField() {
    IllegalArgumentException noNs = assertThrows(IllegalArgumentException.class, () -> Commands.create(configMap(null, "a")));
    assertTrue(noNs.getMessage().contains("metadata.namespace is required"), noNs.getMessage());

    Namespace withNs = Namespace.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName("a").setNamespace("oops").build()).build();
    IllegalArgumentException clusterScoped = assertThrows(IllegalArgumentException.class, () -> Commands.create(withNs));
    assertTrue(clusterScoped.getMessage().contains("cluster-scoped"), clusterScoped.getMessage());

    IllegalArgumentException noName = assertThrows(IllegalArgumentException.class, () -> Commands.update(configMap("ns", null)));
    assertTrue(noName.getMessage().contains("metadata.name is required"), noName.getMessage());

    IllegalArgumentException slash = assertThrows(IllegalArgumentException.class, () -> Commands.create(configMap("ns", "a/b")));
    assertTrue(slash.getMessage().contains("must not contain '/'"), slash.getMessage());

    IllegalArgumentException noNode = assertThrows(IllegalArgumentException.class, () -> Commands.bind("ns", "p", ""));
    assertTrue(noNode.getMessage().contains("nodeName is required"), noNode.getMessage());

    IllegalArgumentException notAKind = assertThrows(IllegalArgumentException.class,
        () -> Commands.create(ObjectMeta.newBuilder().setName("x").build()));
    assertTrue(notAKind.getMessage().contains("not the schema of any Capstan kind"), notAKind.getMessage());
  }

  @Test
  void deleteAndBindNeedNoObject() {
    Command d = Commands.delete(Kinds.CONFIG_MAP, "ns", "a",
        DeleteOptions.newBuilder().setPreconditionResourceVersion("42").build());
    assertEquals(CommandOp.DELETE, d.getOp());
    assertNull(d.getObject());
    assertEquals("42", d.getDeleteOptions().getPreconditionResourceVersion());

    Command b = Commands.bind("ns", "web-1", "node-7");
    assertEquals(CommandOp.BIND, b.getOp());
    assertEquals("Pod", b.getKind());
    assertEquals("node-7", b.getNodeName());
  }

  @Test
  void repliesBecomeResults() {
    ConfigMap cm = configMap("ns", "a");
    Reply ok = Reply.newBuilder().setRequestId("r").setClientId("c").setAccepted(true)
        .setObject(ByteBuffer.wrap(LogCodec.get().encode(cm))).setResourceVersion(77).setPartition(3).build();
    CommandResult.Accepted a = (CommandResult.Accepted) CommandChannel.toResult(ok);
    assertEquals(cm, a.objectAs(ConfigMap.class));
    assertEquals(77, a.resourceVersion());
    assertEquals(3, a.partition());

    Reply gone = Reply.newBuilder().setRequestId("r").setClientId("c").setAccepted(true).setDeleted(true).build();
    CommandResult.Accepted d = (CommandResult.Accepted) CommandChannel.toResult(gone);
    assertTrue(d.deleted());
    assertNull(d.object());

    ErrorStatus conflict = ErrorStatus.newBuilder().setCode(409).setReason("Conflict").setMessage("stale").build();
    Reply no = Reply.newBuilder().setRequestId("r").setClientId("c").setAccepted(false).setStatus(conflict).build();
    assertEquals(new CommandResult.Rejected(conflict), CommandChannel.toResult(no));

    Reply bare = Reply.newBuilder().setRequestId("r").setClientId("c").setAccepted(false).build();
    CommandResult.Rejected r = (CommandResult.Rejected) CommandChannel.toResult(bare);
    assertEquals(500, r.status().getCode());
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
