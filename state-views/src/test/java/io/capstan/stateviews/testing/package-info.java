/** Test fixtures shared by every module's integration tests: the one Kafka per test JVM. */
package io.capstan.stateviews.testing;
