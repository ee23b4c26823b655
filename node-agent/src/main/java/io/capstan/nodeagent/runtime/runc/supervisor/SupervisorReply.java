package io.capstan.nodeagent.runtime.runc.supervisor;

/**
 * The supervisor's answer to one request.
 *
 * @param error     why it failed (e.g. runc's own error message); null when it worked
 * @param container the container after the request, when there is one
 * @param pid       the supervisor's pid (PING)
 */
public record SupervisorReply(String error, ContainerRecord container, long pid) {
  static SupervisorReply ok(ContainerRecord c) {
    return new SupervisorReply(null, c, ProcessHandle.current().pid());
  }

  static SupervisorReply failed(String error) {
    return new SupervisorReply(error, null, ProcessHandle.current().pid());
  }
}
