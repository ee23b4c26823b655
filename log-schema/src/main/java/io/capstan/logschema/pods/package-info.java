/** What readers of Pods share about the pod model itself: ephemeral containers seen as containers. */
package io.capstan.logschema.pods;
