/**
 * The command client: sends Commands to the single writer of each object key and waits for
 * the Reply correlated by request id, retrying with the same request id when a reply is late.
 */
package io.capstan.logschema.client;
