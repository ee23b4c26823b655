/**
 * Facts about claims and volumes that the PV binder, the scheduler's volume binding and the node
 * agent share: the annotations they speak through, and which volume can serve which claim.
 */
package io.capstan.logschema.storage;
