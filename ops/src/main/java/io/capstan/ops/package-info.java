/**
 * The {@code capstan} launcher: its subcommands ({@code up}, {@code broker}, {@code state-views},
 * {@code replay}, {@code bench}), their typed configs, and the components they start and stop
 * in order.
 */
package io.capstan.ops;
