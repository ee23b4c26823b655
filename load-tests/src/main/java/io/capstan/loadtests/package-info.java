/** Benchmarks and load generators; each prints its figures as a final JSON line. */
package io.capstan.loadtests;
