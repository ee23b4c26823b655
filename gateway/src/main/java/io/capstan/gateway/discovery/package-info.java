/** API discovery documents ({@code /version}, {@code /api}, {@code /apis}, resource lists) built from the kinds registry. */
package io.capstan.gateway.discovery;
