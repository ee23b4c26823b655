/**
 * Taints and tolerations as Kubernetes' core/v1 helpers read them: the well-known node taint keys,
 * toleration matching (shared by the scheduler's TaintToleration and the controllers' taint-based
 * eviction) and the DefaultTolerationSeconds defaults for the write path.
 */
package io.capstan.logschema.taints;
