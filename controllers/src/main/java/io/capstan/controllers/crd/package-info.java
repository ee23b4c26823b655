/**
 * CustomResourceDefinitions in the controllers: the cleanup controller deletes a deleted definition's objects, then
 * releases its finalizer; the definitions read are followed into the process's kind registry.
 */
package io.capstan.controllers.crd;
