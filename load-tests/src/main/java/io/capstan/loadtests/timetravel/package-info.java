/** {@code bench timetravel}: historical reads over a large event log (build time, heap per event, list latency). */
package io.capstan.loadtests.timetravel;
