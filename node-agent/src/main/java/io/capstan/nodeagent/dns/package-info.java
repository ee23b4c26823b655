/**
 * Cluster DNS (CoreDNS's kubernetes plugin's job): answers for Services, their endpoints and pods
 * under the cluster domain, derived from informers; other names forwarded to the host's resolvers.
 */
package io.capstan.nodeagent.dns;
