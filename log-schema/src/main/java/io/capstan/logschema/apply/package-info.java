/**
 * Server-side apply: field sets ({@code fieldsV1}), the type model that says how each list and
 * map merges (from the schema's merge keys and the CRDs' {@code x-kubernetes-*} extensions),
 * field ownership by managers ({@code metadata.managedFields}) and the apply merge with its
 * conflicts, as sigs.k8s.io/structured-merge-diff defines them.
 */
package io.capstan.logschema.apply;
