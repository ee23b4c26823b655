/** {@code capstan bench dns}: cluster DNS queries per second and latency from an open-loop load on loopback. */
package io.capstan.loadtests.dns;
