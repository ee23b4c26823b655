/**
 * The garbage collector: deletes objects whose owners are gone (Background), holds an owner
 * deleted in Foreground until its blocking dependents are gone, and orphans dependents of an
 * owner deleted with Orphan, all through ownerReferences read from the informers' owner-uid index.
 */
package io.capstan.controllers.gc;
