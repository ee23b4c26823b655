/** Serves the OpenAPI v3 index and group-version documents with content-hash URLs and ETags. */
package io.capstan.gateway.openapi;
