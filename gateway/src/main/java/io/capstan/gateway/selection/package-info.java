/** Label and field selectors of list and watch requests: parsing with clear errors, and matching. */
package io.capstan.gateway.selection;
