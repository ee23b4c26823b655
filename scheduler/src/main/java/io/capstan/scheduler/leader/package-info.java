/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: the
 * holder renews the lease; a candidate takes it over, with the lease's resourceVersion as the
 * precondition, once it has seen no renewal for the lease duration.
 */
package io.capstan.scheduler.leader;
