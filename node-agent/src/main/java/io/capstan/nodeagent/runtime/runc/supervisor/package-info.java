/**
 * The node's runtime supervisor: one small JVM per node agent data dir that outlives the agent,
 * as containerd-shim or conmon do per container. It is the containers' parent (a child
 * subreaper), runs {@code runc create}/{@code start} for them, pumps their stdout/stderr into the
 * CRI log files, records each exit durably in the container's directory, and answers the agent
 * over a Unix domain socket ({@link io.capstan.nodeagent.runtime.runc.supervisor.SupervisorClient}).
 * An agent killed with -9 and started again finds its containers still running and their exit
 * codes recorded, and adopts them instead of starting duplicates.
 */
package io.capstan.nodeagent.runtime.runc.supervisor;
