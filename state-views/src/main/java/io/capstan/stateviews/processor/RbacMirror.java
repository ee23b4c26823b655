package io.capstan.stateviews.processor;

import io.capstan.logschema.kinds.ObjectKey;
import io.capstan.stateviews.rbac.RbacPolicy;
import org.apache.avro.generic.IndexedRecord;

/**
 * Keeps a copy of one RBAC table (Roles, ClusterRoles, RoleBindings or ClusterRoleBindings) in
 * every processor instance (a global store, as {@link LimitRangeMirror}) and the decoded objects
 * in the {@link RbacPolicy} that authorizes components' commands on any partition: the RBAC
 * authorizer's informers. A new binding applies once the global store has read it.
 */
final class RbacMirror extends DecodingMirror {
  private final RbacPolicy policy;

  RbacMirror(String storeName, RbacPolicy policy) {
    super(storeName, "RBAC object");
    this.policy = policy;
  }

  @Override
  void followed(String key, IndexedRecord object) {
    policy.put(object);
  }

  @Override
  void forgotten(String key) {
    ObjectKey k = ObjectKey.parse(key);
    policy.remove(k.kind(), k.namespace(), k.name());
  }
}
