/** The registry of resource kinds: names, groups, plurals, scope and their Avro schemas. */
package io.capstan.logschema.kinds;
