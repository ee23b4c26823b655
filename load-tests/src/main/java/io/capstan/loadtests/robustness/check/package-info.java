/** The checkers of a recorded history: linearizability per key, the watch guarantees, lost acknowledged writes. */
package io.capstan.loadtests.robustness.check;
