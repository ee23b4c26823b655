/**
 * The root CA publisher: the cluster's CA bundle as the ConfigMap {@code kube-root-ca.crt} in
 * every namespace, kept as the CA file says.
 */
package io.capstan.controllers.rootca;
