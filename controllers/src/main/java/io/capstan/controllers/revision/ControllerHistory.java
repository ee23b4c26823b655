package io.capstan.controllers.revision;

import io.capstan.api.ControllerRevision;
import io.capstan.api.ObjectMeta;
import io.capstan.api.OwnerReference;
import io.capstan.api.PodTemplateSpec;
import io.capstan.controllers.runtime.ObjectWriter;
import io.capstan.controllers.runtime.OwnerRefs;
import io.capstan.controllers.runtime.PodTemplates;
import io.capstan.controllers.runtime.WriteRejectedException;
import io.capstan.logschema.kinds.Kind;
import io.capstan.logschema.kinds.Kinds;
import io.capstan.stateviews.informer.Indexes;
import io.capstan.stateviews.informer.Informer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes of a controller's revision history (kube's constructHistory / getStatefulSetRevisions
 * and cleanupHistory / truncateHistory): find the revision of the owner's current template or make
 * it, renumber it as the newest when the template went back to an old one, bump the owner's
 * collision count when another template holds the name, and delete the oldest revisions beyond
 * the limit.
 */
public final class ControllerHistory {
  private static final Logger log = LoggerFactory.getLogger(ControllerHistory.class);

  private final Kind kind;
  private final Informer<ControllerRevision> revisions;
  private final ObjectWriter writer;

  /** Raises the owner's {@code status.collisionCount} by one (a status write of the owner's kind). */
  @FunctionalInterface
  public interface CollisionBump {
    void bump() throws InterruptedException, WriteRejectedException;
  }

  /** The revision of the current template and the others; collided when its name was taken by another template. */
  public record Current(ControllerRevision revision, List<ControllerRevision> old, boolean collided) {
    public String hash() {
      return revision == null ? "" : RevisionHistory.hashOf(revision);
    }
  }

  public ControllerHistory(Kind kind, Informer<ControllerRevision> revisions, ObjectWriter writer) {
    this.kind = kind;
    this.revisions = revisions;
    this.writer = writer;
  }

  /** The revisions the owner controls. */
  public List<ControllerRevision> owned(ObjectMeta owner) {
    List<ControllerRevision> mine = new ArrayList<>();
    for (ControllerRevision r : revisions.byIndex(Indexes.OWNER_UID, owner.getUid())) {
      Optional<OwnerReference> ref = OwnerRefs.controllerOf(r.getMetadata());
      if (ref.isPresent() && owner.getUid().equals(ref.get().getUid())) {
        mine.add(r);
      }
    }
    return mine;
  }

  /** The current revision for the owner's template, written if it is new or renumbered if it comes back. */
  public Current construct(ObjectMeta owner, PodTemplateSpec template, Integer collisionCount, CollisionBump bump)
      throws InterruptedException, WriteRejectedException {
    List<ControllerRevision> mine = owned(owner);
    long max = RevisionHistory.maxRevision(mine);
    ControllerRevision current = null;
    for (ControllerRevision r : mine) {
      if (RevisionHistory.matches(template, r) && (current == null || r.getRevision() > current.getRevision())) {
        current = r;
      }
    }
    if (current == null) {
      String hash = RevisionHistory.hash(template, collisionCount);
      ControllerRevision fresh = RevisionHistory.newRevision(kind, owner, template, hash, max + 1);
      try {
        current = writer.create(fresh).objectAs(ControllerRevision.class);
      } catch (WriteRejectedException e) {
        if (!e.isAlreadyExists()) {
          throw e;
        }
        Optional<ControllerRevision> taken = revisions.get(owner.getNamespace(), fresh.getMetadata().getName());
        if (taken.isEmpty()) {
          throw e; // ours, made by the last sync and not yet in the cache: retry once it is
        }
        if (isControlledBy(taken.get(), owner) && RevisionHistory.matches(template, taken.get())) {
          current = taken.get();
        } else {
          // Another template has this name (a hash collision, or not yet in our cache): change the hash.
          bump.bump();
          return new Current(null, mine, true);
        }
      }
    } else if (current.getRevision() < max) {
      // A rollback to an old template: that revision becomes the newest.
      ControllerRevision renumbered = PodTemplates.copy(current);
      renumbered.setRevision(max + 1);
      current = writer.update(renumbered).objectAs(ControllerRevision.class);
    }
    List<ControllerRevision> old = new ArrayList<>();
    for (ControllerRevision r : mine) {
      if (!r.getMetadata().getName().equals(current.getMetadata().getName())) {
        old.add(r);
      }
    }
    return new Current(current, old, false);
  }

  private static boolean isControlledBy(ControllerRevision r, ObjectMeta owner) {
    return OwnerRefs.controllerOf(r.getMetadata()).map(ref -> owner.getUid().equals(ref.getUid())).orElse(false);
  }

  /** Deletes the oldest of {@code old} beyond {@code limit}, sparing those whose hash a live pod carries. */
  public void cleanup(String ownerKey, List<ControllerRevision> old, int limit, Set<String> liveHashes)
      throws InterruptedException {
    for (ControllerRevision r : RevisionHistory.toDelete(old, limit, liveHashes)) {
      try {
        writer.delete(Kinds.CONTROLLER_REVISION, r.getMetadata().getNamespace(), r.getMetadata().getName(),
            io.capstan.log.DeleteOptions.newBuilder().setPreconditionUid(r.getMetadata().getUid()).build());
      } catch (WriteRejectedException e) {
        if (!e.isNotFound()) {
          log.info("{}: deleting old revision {} failed: {}", ownerKey, r.getMetadata().getName(), e.getMessage());
        }
      }
    }
  }
}
