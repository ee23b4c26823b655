/**
 * How a pod's API-sourced volumes are written and what a node asks the API for them: files
 * written whole the way kubelet's atomic writer does ({@link io.capstan.nodeagent.volume.AtomicWriter}),
 * and the ServiceAccount tokens projected into them ({@link io.capstan.nodeagent.volume.ServiceAccountTokenSource},
 * {@link io.capstan.nodeagent.volume.ApiTokenRequests}, renewed by the {@link io.capstan.nodeagent.volume.TokenCache}).
 */
package io.capstan.nodeagent.volume;
