/** The namespace controller: empties a Terminating namespace, then releases its {@code kubernetes} finalizer. */
package io.capstan.controllers.namespace;
