/** Topic names, topic configuration and the object-key partitioner shared by every writer. */
package io.capstan.logschema.topics;
