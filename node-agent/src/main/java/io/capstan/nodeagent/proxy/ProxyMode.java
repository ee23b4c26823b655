package io.capstan.nodeagent.proxy;

/** How a node agent runs its service proxy. */
public enum ProxyMode {
  /** Programs this host's packet filter with nft (root; the {@code nftables} package). */
  NFT,
  /** Generates the rules and applies nothing (hollow nodes, benchmarks). */
  DRY,
  /** No service proxy. */
  OFF
}
