/**
 * Components' authentication in the command processor (docs/identity.md section 2): session
 * requests answered with tickets sealed under the cluster ticket key, and every command's ticket
 * and MAC checked before anything else is looked at.
 */
package io.capstan.stateviews.processor.authn;
