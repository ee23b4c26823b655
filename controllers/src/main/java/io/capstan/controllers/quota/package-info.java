/**
 * The ResourceQuota controller: recounts what a quota's ledger should hold from the informers
 * and repairs the ledger through the same idempotent commands the write path uses. Admission
 * itself (charge before create, release on delete) lives in the command processor
 * ({@code io.capstan.stateviews.processor.quota}); this controller covers what the write path
 * cannot see: objects created before their quota, and drift.
 */
package io.capstan.controllers.quota;
