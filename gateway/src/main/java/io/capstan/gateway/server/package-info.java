/** The gateway's HTTP server: Vert.x wiring, authentication, limits, metrics and the REST verbs. */
package io.capstan.gateway.server;
