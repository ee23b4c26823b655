/** RBAC's controllers: ClusterRole aggregation (aggregationRule selectors fill an aggregated role's rules). */
package io.capstan.controllers.rbac;
