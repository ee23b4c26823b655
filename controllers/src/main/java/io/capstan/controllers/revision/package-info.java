/**
 * Revision history of the controllers that keep it as ControllerRevisions (DaemonSet and
 * StatefulSet), as kube's controller history package: one revision per distinct template,
 * renumbered on rollback, pruned beyond revisionHistoryLimit.
 */
package io.capstan.controllers.revision;
