/**
 * CustomResourceDefinitions: checking a definition as kube-apiserver's apiextensions validation
 * does, deriving the Avro schema its objects are kept in from its OpenAPI v3 schema, turning
 * it into a {@link io.capstan.logschema.kinds.Kind} for the registry, and validating custom
 * objects against their OpenAPI schema.
 */
package io.capstan.logschema.crd;
