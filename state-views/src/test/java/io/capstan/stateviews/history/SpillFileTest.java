package io.capstan.stateviews.history;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpillFileTest {
  @Test
  void readsBackEveryAppendWhetherBufferedWrittenOrLargerThanTheBuffer() {
    Random random = new Random(7);
    List<byte[]> appended = new ArrayList<>();
    List<StoredBytes> stored = new ArrayList<>();
    try (SpillFile file = SpillFile.temporary("spill-test-")) {
      long total = 0;
      for (int i = 0; i < 3000; i++) {
        byte[] b = new byte[i == 1500 ? 3 << 20 : random.nextInt(2000)]; // one larger than the buffer
        random.nextBytes(b);
        appended.add(b);
        stored.add(file.append(b));
        total += b.length;
        if (i % 500 == 0) { // reads while some are still in the buffer
          assertArrayEquals(b, stored.get(i).bytes());
          assertArrayEquals(appended.get(0), stored.get(0).bytes());
        }
      }
      assertEquals(total, file.size());
      for (int i = 0; i < appended.size(); i++) {
        assertArrayEquals(appended.get(i), stored.get(i).bytes(), "append " + i);
        assertEquals(appended.get(i).length, stored.get(i).length());
      }
    }
  }
}
