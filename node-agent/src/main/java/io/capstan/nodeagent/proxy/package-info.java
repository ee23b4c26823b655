/**
 * The service proxy (kube-proxy's job, its nftables mode): services and their ready endpoints
 * turned into one nftables table, {@code ip capstan}, applied atomically with {@code nft -f}
 * after changes; stale UDP flows cleared with {@code conntrack}; the rules removed on a clean stop.
 */
package io.capstan.nodeagent.proxy;
