/**
 * The runc runtime: an OCI bundle per container (a {@code config.json} generated here and an
 * overlay root filesystem: the image's shared read-only rootfs under a per-container upper
 * dir), driven through the runc CLI ({@code create}, {@code start}, {@code exec}, {@code
 * delete}); the agent is the containers' subreaper and learns their exit status with
 * {@code waitpid}; stdout and stderr arrive through FIFOs and are written in CRI's log format.
 */
package io.capstan.nodeagent.runtime.runc;
