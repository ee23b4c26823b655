/**
 * A small operator written the way users write them (Java Operator SDK, fabric8 typed custom resources), run in the
 * tests against a real Capstan: the proof that Capstan serves operators as Kubernetes does.
 */
package io.capstan.gateway.examples;
