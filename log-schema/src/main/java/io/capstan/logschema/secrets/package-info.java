/**
 * Secrets encrypted in the log: the encryption configuration file (key-encryption keys), the
 * envelope (a fresh AES-256-GCM data key per record, wrapped by a key-encryption key) and the
 * sealing of a Secret's data before it is written and its opening when it is read.
 */
package io.capstan.logschema.secrets;
