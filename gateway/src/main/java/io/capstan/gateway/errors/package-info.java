/** Kubernetes {@code Status} errors: the codes and reasons kube-apiserver answers with, built from exceptions. */
package io.capstan.gateway.errors;
