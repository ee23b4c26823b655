/**
 * Rebuilding the cluster's state from {@code capstan.events} alone, digesting it, and
 * comparing it with the live state tables.
 */
package io.capstan.stateviews.replay;
