/**
 * ResourceQuota arithmetic, as Kubernetes' quota evaluators do it: what an object uses
 * ({@link io.capstan.logschema.quota.ObjectUsage}), sums and masks of resource lists
 * ({@link io.capstan.logschema.quota.ResourceLists}) and the admission check with kube-apiserver's
 * messages ({@link io.capstan.logschema.quota.QuotaCheck}). Pure functions: the command processor
 * (the quota's single writer) and the quota controller share them.
 */
package io.capstan.logschema.quota;
