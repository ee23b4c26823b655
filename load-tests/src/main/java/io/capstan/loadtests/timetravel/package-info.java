/** {@code bench timetravel}: historical lists against live lists through the gateway (history build time, heap per event, list latency). */
package io.capstan.loadtests.timetravel;
