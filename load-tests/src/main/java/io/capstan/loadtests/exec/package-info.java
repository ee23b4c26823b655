/** The exec round-trip benchmark: {@code kubectl exec -- true} through the API against a bare {@code runc exec}. */
package io.capstan.loadtests.exec;
