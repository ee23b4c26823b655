/** Container logs: where each attempt's CRI log file is, reading them back (tail, follow, timestamps) and the agent's HTTP server for them. */
package io.capstan.nodeagent.logs;
