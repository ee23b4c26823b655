package io.capstan.nodeagent.image;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The file-system calls unpacking a layer needs that Java lacks: device nodes (overlayfs
 * whiteouts are 0/0 character devices), extended attributes (opaque directories), full modes
 * (setuid, sticky) and the owner of a symlink itself.
 */
interface FileCalls extends Library {
  FileCalls INSTANCE = Native.load("c", FileCalls.class);

  int S_IFCHR = 0020000;
  int S_IFBLK = 0060000;
  int S_IFIFO = 0010000;

  int mknod(String path, int mode, long dev) throws LastErrorException;

  int chmod(String path, int mode) throws LastErrorException;

  int lchown(String path, int uid, int gid) throws LastErrorException;

  int lsetxattr(String path, String name, byte[] value, long size, int flags) throws LastErrorException;

  /** glibc's makedev for Linux. */
  static long makedev(int major, int minor) {
    return ((long) (major & 0xfffff000) << 32) | ((major & 0xfffL) << 8)
        | ((long) (minor & 0xffffff00) << 12) | (minor & 0xffL);
  }
}
