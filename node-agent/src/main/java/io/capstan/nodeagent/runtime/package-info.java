/**
 * The container runtime interface, shaped like Kubernetes' CRI: a runtime service (pod
 * sandboxes and containers) and an image service. Implementations: {@code runc} (real
 * containers) and {@code hollow} (simulated, for load tests).
 */
package io.capstan.nodeagent.runtime;
