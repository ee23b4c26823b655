package io.capstan.nodeagent.runtime.runc.supervisor;

/**
 * The supervisor's answer to one request.
 *
 * @param error     why it failed (e.g. runc's own error message); null when it worked
 * @param container  the container after the request, when there is one
 * @param containers LIST: every container it supervises
 * @param pid        the supervisor's pid
 */
public record SupervisorReply(String error, ContainerRecord container, java.util.List<ContainerRecord> containers,
    long pid) {
  static SupervisorReply ok(ContainerRecord c) {
    return new SupervisorReply(null, c, null, ProcessHandle.current().pid());
  }

  static SupervisorReply list(java.util.List<ContainerRecord> all) {
    return new SupervisorReply(null, null, all, ProcessHandle.current().pid());
  }

  static SupervisorReply failed(String error) {
    return new SupervisorReply(error, null, null, ProcessHandle.current().pid());
  }
}
