package io.capstan.nodeagent.streaming;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A remote command's streams as a client carries them, whatever the transport: the WebSocket
 * channel protocol ({@link ChannelSocket}) or SPDY streams ({@link SpdyStreams}). Channels are
 * numbered as {@link ChannelProtocol}'s.
 */
interface RemoteStreams {
  boolean clientGone();

  /** Runs once when the client goes away. */
  void onGone(Runnable r);

  /** The client's first terminal size, or null when none came within {@code waitMs}. */
  int[] firstSize(long waitMs);

  /** Where later terminal sizes go. */
  void onResize(Consumer<int[]> resize);

  /** Writes the client's stdin, on a thread of its own, to what {@code target} opens, until its end; then closes it. */
  Thread pumpStdin(Supplier<OutputStream> target);

  /** Ends the stdin pump (the command ended). */
  void endStdin();

  /** Copies a stream to a channel (-1: read and dropped), on a thread of its own, until its end. */
  Thread pump(InputStream from, int channel);

  /** Sends data on a channel and waits until the connection took it. */
  void send(int channel, byte[] data, int len);

  /** The end: the Status on the error channel, then the connection closes. */
  void finish(byte[] status);
}
