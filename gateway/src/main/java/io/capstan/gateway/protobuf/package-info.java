/**
 * Kubernetes protobuf request bodies ({@code application/vnd.kubernetes.protobuf}, what kubectl's
 * generator commands send): the {@code k8s\0} envelope around a {@code runtime.Unknown}, a protobuf
 * wire reader, and a decoder driven by a field table of the k8s.io/api messages that turns the
 * object into the same JSON tree a JSON body gives, so both share one conversion, validation and
 * write path.
 */
package io.capstan.gateway.protobuf;
