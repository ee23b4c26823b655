/** The audit trail: who changed which object when, and what changed, read from capstan.events. */
package io.capstan.stateviews.audit;
