/**
 * The three patch formats kube-apiserver accepts, applied to an object's Kubernetes JSON:
 * JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch driven by the
 * {@code k8s.patchStrategy} / {@code k8s.mergeKey} properties of the kind's Avro schema.
 */
package io.capstan.logschema.patch;
