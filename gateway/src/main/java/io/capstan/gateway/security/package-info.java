/**
 * Serving security: a CA and serving certificate generated into the data dir on first start,
 * bearer-token authentication from a kube-apiserver {@code --token-auth-file} style CSV, the
 * admin token, and the kubeconfig that lets kubectl in; the authorization seam ({@link
 * io.capstan.gateway.security.Authorizer}) with the request attributes read from HTTP ({@link
 * io.capstan.gateway.security.HttpRequestAttributes}); RBAC lives in {@code security.rbac}.
 */
package io.capstan.gateway.security;
