/** Thread pools whose threads exist only while there is work, so an idle process holds few threads. */
package io.capstan.logschema.threads;
