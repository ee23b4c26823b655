package io.capstan.gateway.store;

import java.util.List;

/**
 * One chunk of a list.
 *
 * @param resourceVersion the version the whole list is consistent at
 * @param continueToken   the token for the next chunk, or null when this is the last
 * @param remainingItems  how many matching objects follow this chunk, when known
 */
public record ListResult(List<StoredObject> items, long resourceVersion, String continueToken, Long remainingItems) {
  public ListResult {
    items = List.copyOf(items);
  }
}
