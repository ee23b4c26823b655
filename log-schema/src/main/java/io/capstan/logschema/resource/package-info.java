/** Resource quantities ("100m", "1Gi") as Kubernetes' apimachinery api/resource package defines them. */
package io.capstan.logschema.resource;
