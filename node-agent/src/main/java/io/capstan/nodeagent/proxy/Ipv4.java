package io.capstan.nodeagent.proxy;

/** Dotted-quad IPv4 text, checked before it reaches a ruleset (nft would refuse the whole file). */
final class Ipv4 {
  private Ipv4() {}

  static boolean isAddress(String s) {
    if (s == null) {
      return false;
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255
          || (p.length() > 1 && p.charAt(0) == '0')) {
        return false;
      }
    }
    return true;
  }
}
