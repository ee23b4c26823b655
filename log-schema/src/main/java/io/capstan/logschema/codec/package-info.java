/** Avro single-object encoding of every log record, with the store of historic schemas. */
package io.capstan.logschema.codec;
