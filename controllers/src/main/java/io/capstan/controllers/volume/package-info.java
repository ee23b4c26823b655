/**
 * The persistent volume controllers: the binder (claims to volumes, phases, reclaim) and the
 * protection finalizers of claims in use and of bound volumes.
 */
package io.capstan.controllers.volume;
