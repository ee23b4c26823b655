package io.capstan.stateviews.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capstan.log.Access;

/** An access record in the JSON of {@code capstan audit -o json} and the audit API. */
public final class AccessJson {
  private AccessJson() {}

  /** An access decision as JSON, with Kubernetes audit's names where it has them. */
  public static void put(ObjectNode n, Access a) {
    n.put("decision", a.getDecision());
    n.put("code", a.getCode());
    n.put("verb", a.getVerb());
    ObjectNode user = n.putObject("user");
    user.put("username", a.getUser());
    ArrayNode groups = user.putArray("groups");
    a.getGroups().forEach(groups::add);
    if (!a.getImpersonator().isEmpty()) {
      n.put("impersonatedBy", a.getImpersonator());
    }
    ObjectNode ref = n.putObject("objectRef");
    ref.put("apiGroup", a.getApiGroup());
    ref.put("resource", a.getResource());
    ref.put("subresource", a.getSubresource());
    ref.put("namespace", a.getNamespace());
    ref.put("name", a.getName());
    n.put("requestURI", a.getPath());
    n.put("reason", a.getReason());
    n.putArray("sourceIPs").add(a.getSourceAddress());
    n.put("userAgent", a.getUserAgent());
  }
}
