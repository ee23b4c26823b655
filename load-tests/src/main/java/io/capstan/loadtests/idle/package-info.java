/** The idle benchmark: what a cluster with no workload costs in CPU, memory, threads, records and transactions. */
package io.capstan.loadtests.idle;
