/**
 * Kubernetes API validation of the resource model: names, labels, required fields,
 * quantities, ports and the per-kind rules, every problem reported with its field path.
 */
package io.capstan.logschema.validation;
