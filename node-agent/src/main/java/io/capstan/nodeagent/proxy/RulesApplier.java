package io.capstan.nodeagent.proxy;

/** Where a ruleset goes: the packet filter ({@link NftCommand}) or nowhere (hollow nodes, benchmarks). */
public interface RulesApplier {
  /**
   * Applies one {@code nft -f} transaction, all or nothing.
   *
   * @throws RulesRefused when the packet filter refuses it (the rules before it stay)
   */
  void apply(String transaction) throws RulesRefused;

  /** Generates, applies nothing: hollow nodes have no packet filter. */
  RulesApplier DRY = transaction -> { };

  /** A ruleset the packet filter would not take, with its own words why. */
  final class RulesRefused extends Exception {
    public RulesRefused(String message) {
      super(message);
    }

    public RulesRefused(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
