/**
 * The node's local image store (CRI's image service): images unpacked once per digest into a
 * read-only root filesystem shared by every container of the image; names resolved as
 * Kubernetes users write them; the {@code capstan.local/busybox} image seeded from the host's
 * busybox-static so a first pod runs without any registry.
 */
package io.capstan.nodeagent.image;
