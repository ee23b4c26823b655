/** The CustomResourceDefinition cleanup controller: deletes a deleted definition's objects, then releases its finalizer. */
package io.capstan.controllers.crd;
