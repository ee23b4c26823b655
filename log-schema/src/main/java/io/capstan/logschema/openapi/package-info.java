/**
 * OpenAPI v3 documents generated from the Avro schemas, shaped as kube-apiserver serves them
 * at {@code /openapi/v3}: an index of group-versions with content-hash URLs and one document
 * per group-version with Kubernetes-named component schemas and the resource operations, so
 * {@code kubectl explain} and kubectl's field-validation support check work unchanged.
 */
package io.capstan.logschema.openapi;
