package io.capstan.logschema.pods;

import io.capstan.api.Container;
import io.capstan.api.EphemeralContainer;
import io.capstan.api.PodSpec;
import java.util.List;
import org.apache.avro.Schema;

/**
 * An ephemeral container is a Container plus {@code targetContainerName} (core/v1
 * EphemeralContainerCommon): code that runs, defaults or validates containers does the same for
 * ephemeral ones through {@link #asContainer}, which shares the nested values.
 */
public final class EphemeralContainers {
  private EphemeralContainers() {}

  /** The pod's ephemeral containers, or an empty list. */
  public static List<EphemeralContainer> of(PodSpec spec) {
    return spec == null || spec.getEphemeralContainers() == null ? List.of() : spec.getEphemeralContainers();
  }

  /** The container an ephemeral container describes (nested records shared, not copied). */
  public static Container asContainer(EphemeralContainer e) {
    Container c = new Container();
    for (Schema.Field f : Container.getClassSchema().getFields()) {
      c.put(f.pos(), e.get(EphemeralContainer.getClassSchema().getField(f.name()).pos()));
    }
    return c;
  }

  /** Writes the container's fields back into the ephemeral container (after defaulting, say). */
  public static void copyBack(Container c, EphemeralContainer e) {
    for (Schema.Field f : Container.getClassSchema().getFields()) {
      e.put(EphemeralContainer.getClassSchema().getField(f.name()).pos(), c.get(f.pos()));
    }
  }
}
