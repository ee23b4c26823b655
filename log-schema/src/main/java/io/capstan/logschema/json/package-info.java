/**
 * Kubernetes JSON and YAML to the Avro records of the resource model and back, walking the
 * schemas; and what changed between two versions of an object (changed paths, merge patch).
 */
package io.capstan.logschema.json;
