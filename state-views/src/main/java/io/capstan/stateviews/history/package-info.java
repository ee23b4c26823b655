/** Historical reads: the objects as they were at a past instant or resourceVersion, and each object's versions, from the event log. */
package io.capstan.stateviews.history;
