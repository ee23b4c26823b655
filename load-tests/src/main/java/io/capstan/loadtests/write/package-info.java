/** The write-path benchmark: creates through the command client, latency from send to reply. */
package io.capstan.loadtests.write;
