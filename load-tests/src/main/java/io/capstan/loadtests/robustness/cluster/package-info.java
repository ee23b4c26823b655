/** The robustness run's cluster of separate processes, its seeded fault schedule and the recovery probe. */
package io.capstan.loadtests.robustness.cluster;
