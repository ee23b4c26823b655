package io.capstan.controllers.crd;

import io.capstan.api.CustomResourceDefinition;
import io.capstan.logschema.crd.CustomResourceDefinitions;
import io.capstan.stateviews.informer.ResourceEventHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this process's kind registry in step with the definitions its informer reads, as the
 * gateway's watch cache and the processor do: so the controllers that work across kinds (garbage
 * collector, namespace, quota) follow custom kinds when they run alone, without a gateway or
 * processor in the process. Registering a kind that is already registered is a no-op.
 */
final class DefinitionFollower implements ResourceEventHandler<CustomResourceDefinition> {
  private static final Logger log = LoggerFactory.getLogger(DefinitionFollower.class);

  @Override
  public void onAdd(CustomResourceDefinition crd) {
    follow(crd);
  }

  @Override
  public void onUpdate(CustomResourceDefinition old, CustomResourceDefinition crd) {
    follow(crd);
  }

  @Override
  public void onDelete(CustomResourceDefinition lastKnown) {
    CustomResourceDefinitions.unfollow(lastKnown.getMetadata().getName());
  }

  private static void follow(CustomResourceDefinition crd) {
    CustomResourceDefinitions.follow(crd).ifPresent(why ->
        log.warn("the kind of {} is not followed by the controllers: {}", crd.getMetadata().getName(), why));
  }
}
