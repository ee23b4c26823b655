/**
 * Serving security: a CA, serving and client certificates generated into the data dir on first
 * start, authentication (client certificates, bearer tokens from a kube-apiserver
 * {@code --token-auth-file} style CSV, ServiceAccount JWTs), impersonation, the admin token, and
 * the kubeconfig that lets kubectl in; the authorization seam ({@link
 * io.capstan.gateway.security.Authorizer}) with the request attributes read from HTTP ({@link
 * io.capstan.gateway.security.HttpRequestAttributes}); RBAC lives in {@code security.rbac}.
 */
package io.capstan.gateway.security;
