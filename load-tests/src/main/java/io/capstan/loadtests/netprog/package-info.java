/** The network programming benchmark: from an endpoint change in the API to the service proxy's rules applied. */
package io.capstan.loadtests.netprog;
