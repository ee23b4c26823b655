package io.capstan.gateway.store;

import org.apache.avro.specific.SpecificRecord;

/** An object as stored, with the resourceVersion of its last write (also in its metadata). */
public record StoredObject(SpecificRecord object, long resourceVersion) {}
