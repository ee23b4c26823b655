/**
 * Components' authentication to the command processor (docs/identity.md section 2): the session
 * request a command client signs with its certificate's key once, the ticket it gets back, and the
 * per-command MAC that the processor checks against the ticket's session key.
 */
package io.capstan.logschema.session;
