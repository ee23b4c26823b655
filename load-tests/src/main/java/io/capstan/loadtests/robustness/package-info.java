/**
 * The robustness run (issue 20): mixed traffic recorded as a history, then checked for
 * linearizability, the watch guarantees and acknowledged writes that were lost.
 */
package io.capstan.loadtests.robustness;
