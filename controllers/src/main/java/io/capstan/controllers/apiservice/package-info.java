/**
 * The Services every cluster has: {@code kubernetes} in {@code default} (the API server's own
 * address, as kube-apiserver's kubernetes-service controller and endpoint reconciler keep it) and
 * {@code kube-dns} in {@code kube-system} (the DNS Service, whose endpoints the DNS component writes).
 */
package io.capstan.controllers.apiservice;
