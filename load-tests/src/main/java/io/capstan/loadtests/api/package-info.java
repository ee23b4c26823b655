/** The API benchmark: creates, gets, lists and watches through the gateway over HTTPS, as kubectl and clients do. */
package io.capstan.loadtests.api;
