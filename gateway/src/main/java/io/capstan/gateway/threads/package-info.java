/** Which threads of the gateway go first for a CPU: the event loops ahead, its pools at normal priority. */
package io.capstan.gateway.threads;
