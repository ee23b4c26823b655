/**
 * Serving security: a CA, serving and client certificates generated into the data dir on first
 * start, authentication (client certificates, bearer tokens from a kube-apiserver
 * {@code --token-auth-file} style CSV, ServiceAccount JWTs), impersonation, the admin token, and
 * the kubeconfig that lets kubectl in.
 */
package io.capstan.gateway.security;
