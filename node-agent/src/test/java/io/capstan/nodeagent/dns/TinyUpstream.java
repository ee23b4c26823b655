package io.capstan.nodeagent.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A tiny authoritative DNS server on loopback (UDP), the "host's resolver" the cluster DNS
 * forwards to in tests: A records of a fixed table, NXDOMAIN for the rest.
 */
final class TinyUpstream implements AutoCloseable {
  private final DatagramSocket socket;
  private final Map<String, String> table;
  final AtomicInteger queries = new AtomicInteger();
  private final Thread thread;

  TinyUpstream(Map<String, String> table) throws SocketException {
    this.table = table;
    this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.thread = new Thread(this::serve, "tiny-upstream-dns");
    thread.setDaemon(true);
    thread.start();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
  }

  private void serve() {
    byte[] buf = new byte[4096];
    while (!socket.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        queries.incrementAndGet();
        Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.AA);
        Record question = q.getQuestion();
        r.addRecord(question, Section.QUESTION);
        String ip = table.get(question.getName().toString());
        if (ip == null) {
          r.getHeader().setRcode(Rcode.NXDOMAIN);
        } else if (question.getType() == Type.A) {
          r.addRecord(new ARecord(question.getName(), DClass.IN, 60, InetAddress.getByName(ip)), Section.ANSWER);
        }
        byte[] out = r.toWire(512);
        socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
      } catch (IOException e) {
        // closed, or a bad packet: go on until closed
      }
    }
  }

  static Name name(String s) {
    return Name.fromConstantString(s);
  }

  @Override
  public void close() throws InterruptedException {
    socket.close();
    thread.join(5000);
  }
}
