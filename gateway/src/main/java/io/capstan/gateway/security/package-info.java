/**
 * Serving security: a CA and serving certificate generated into the data dir on first start,
 * bearer-token authentication from a kube-apiserver {@code --token-auth-file} style CSV, the
 * admin token, and the kubeconfig that lets kubectl in.
 */
package io.capstan.gateway.security;
