/**
 * Kubernetes' EndpointSlice controller: a Service's endpoints as {@code discovery.k8s.io/v1}
 * EndpointSlices (at most 100 endpoints each, one set per distinct port list), beside the
 * Endpoints that older clients read.
 */
package io.capstan.controllers.endpointslice;
