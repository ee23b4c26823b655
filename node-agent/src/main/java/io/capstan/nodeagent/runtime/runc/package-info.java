/**
 * The runc runtime: an OCI bundle per container (a {@code config.json} generated here and an
 * overlay root filesystem: the image's shared read-only rootfs under a per-container upper
 * dir), driven through the runc CLI. The containers' parent is the node's runtime supervisor
 * ({@code supervisor} package), which outlives the agent, pumps stdout/stderr into CRI log files
 * and records exit codes, so a restarted agent adopts the containers instead of starting them
 * again.
 */
package io.capstan.nodeagent.runtime.runc;
