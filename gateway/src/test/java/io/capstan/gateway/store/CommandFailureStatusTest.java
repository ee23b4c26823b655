package io.capstan.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.capstan.gateway.errors.ApiStatus;
import io.capstan.log.CommandOp;
import io.capstan.logschema.client.CommandSendException;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/** How a command that Kafka refused for good reaches the client. */
class CommandFailureStatusTest {
  @Test
  void aCommandTooLargeForTheLogIsRequestEntityTooLarge() {
    CommandSendException sent = new CommandSendException(CommandOp.UPDATE, "ConfigMap/default/big", "r1",
        "capstan.commands", new RecordTooLargeException("The message is 1300123 bytes when serialized which is larger "
            + "than 1048576, which is the value of the max.request.size configuration."));
    ApiStatus s = KafkaResourceStore.toApiException(new CompletionException(sent)).status();
    assertEquals(413, s.code());
    assertEquals("RequestEntityTooLarge", s.reason());
    assertTrue(s.message().startsWith("the object is too large to store: The message is 1300123 bytes"), s.message());
  }

  @Test
  void otherRefusalsAreServiceUnavailable() {
    CommandSendException sent = new CommandSendException(CommandOp.CREATE, "ConfigMap/default/a", "r2",
        "capstan.commands", new TopicAuthorizationException("not authorized"));
    assertEquals(503, KafkaResourceStore.toApiException(sent).status().code());
  }
}
