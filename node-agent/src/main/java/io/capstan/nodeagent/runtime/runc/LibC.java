package io.capstan.nodeagent.runtime.runc;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The few Linux system calls the runc runtime needs that Java has no API for, through JNA:
 * becoming the containers' subreaper and reaping them, signalling them, the overlay mounts of
 * their root filesystems and the FIFOs of their stdout/stderr; {@code setsid} detaches the runtime
 * supervisor from the agent's session.
 */
public interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  int PR_SET_CHILD_SUBREAPER = 36;
  int SIGKILL = 9;
  int SIGTERM = 15;
  int MNT_DETACH = 2;
  int ECHILD = 10;
  int EINTR = 4;
  int ESRCH = 3;

  int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

  int kill(int pid, int sig) throws LastErrorException;

  int waitpid(int pid, int[] status, int options) throws LastErrorException;

  int P_ALL = 0;
  int WNOHANG = 1;
  int WEXITED = 4;
  int WNOWAIT = 0x01000000;

  /** {@code info} receives a siginfo_t (128 bytes); on 64-bit Linux si_pid is its fifth int. */
  int waitid(int idtype, int id, int[] info, int options) throws LastErrorException;

  int mount(String source, String target, String fstype, long flags, String data) throws LastErrorException;

  int umount2(String target, int flags) throws LastErrorException;

  int mkfifo(String path, int mode) throws LastErrorException;

  int setsid() throws LastErrorException;
}
