package io.capstan.loadtests.api;

import static io.capstan.loadtests.report.JsonFields.assertFollows;
import static io.capstan.loadtests.report.JsonFields.number;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** A small run of the API bench against its in-process stack (a real broker, processor and gateway over HTTPS). */
class ApiBenchTest {

  @Test
  void aSmallRunAnswersEveryRequestAndReportsBothSidesLatencyAlsoAsAnRbacUser() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    ApiBench.Result r = new ApiBench(new ApiBench.Settings(null, 8, 20, 20, 2, 30, 2, 1, 3, 2, 2, true),
        new PrintStream(log, true)).run();
    String line = r.jsonLine();
    assertEquals(0, r.errors(), r.firstError() + "\n" + log);
    // every other request went as bench-user, whom RBAC allowed (no errors) through ClusterRole edit;
    // 60 of each are due in the 3 measured seconds, and a loaded machine answers fewer of them in time
    assertTrue(r.create().getTotalCount() + r.createRbac().getTotalCount() >= 20
        && r.get().getTotalCount() + r.getRbac().getTotalCount() >= 20, line);
    assertTrue(r.createRbac().getTotalCount() > 0 && r.getRbac().getTotalCount() > 0, line);
    assertTrue(number(line, "rbac_create_p99_ms") > 0 && number(line, "rbac_get_p99_ms") > 0, line);
    assertTrue(r.list().getTotalCount() + r.listRbac().getTotalCount() >= 5, line);
    assertTrue(r.watchEvents() > 0, "the watches saw the creates: " + line);
    assertTrue(line.contains("\"watch_delay_p99_ms\":") && number(line, "watch_delay_p99_ms") > 0,
        "each event's delay from its version's time: " + line);
    assertNotNull(r.server(), log.toString());
    assertTrue(r.server().getP99Ms() > 0 && r.server().createP99Ms() > 0 && r.server().listP99Ms() > 0, line);
    assertTrue(line.startsWith("{\"bench\":\"api\",\"create_per_s\":"), line);
    assertTrue(line.contains("\"get_p99_ms\":") && line.contains("\"server_get_p99_ms\":")
        && line.contains("\"list_500_p99_ms\":") && line.contains("\"stack\":\"in-process\""), line);
    assertFollows(line, "create_per_s", "cpu_ms_per_request");
    assertFollows(line, "cpu_ms_per_request", "cpu_cores");
    assertFollows(line, "cpu_cores", "create_p50_ms");
    assertTrue(number(line, "create_per_s") > 0, line);
    assertTrue(number(line, "cpu_ms_per_request") > 0 && number(line, "cpu_cores") > 0, line);
    assertTrue(log.toString().contains("bench: CPU "), log.toString());
  }

  @Test
  void appliesAndUpdatesTakeTurnsOnTheSameObjectsWithoutConflictAndAreReportedSideBySide() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    // only the comparison: no creates, gets, lists or watches; 10 objects, 40 writes/s for 1 + 3 s
    ApiBench.Result r = new ApiBench(new ApiBench.Settings(null, 8, 0, 0, 0, 1, 0, 1, 3, 2, 2, false, 10, 40),
        new PrintStream(log, true)).run();
    String line = r.jsonLine();
    // every apply answered 200 (no 409: the merge patches own a field of their own) and every merge patch 200
    assertEquals(0, r.errors(), r.firstError() + "\n" + log);
    // 60 of each were due; a loaded machine answers fewer while all 8 clients wait
    assertTrue(r.apply().getTotalCount() >= 10 && r.update().getTotalCount() >= 10, line);
    assertTrue(Math.abs(r.apply().getTotalCount() - r.update().getTotalCount()) <= 1, "they take turns: " + line);
    assertEquals(0, r.create().getTotalCount() + r.get().getTotalCount(), line);
    assertFollows(line, "apply_p50_ms", "apply_p99_ms");
    assertFollows(line, "apply_p99_ms", "update_p50_ms");
    assertFollows(line, "update_p50_ms", "update_p99_ms");
    assertTrue(number(line, "apply_p99_ms") > 0 && number(line, "update_p99_ms") > 0, line);
    assertTrue(number(line, "apply_per_s") > 1 && number(line, "update_per_s") > 1, line);
    assertEquals(r.applyFloorMet(), number(line, "apply_p99_ms") <= 2 * number(line, "update_p99_ms"), line);
    assertTrue(line.contains("\"floor_met\":" + r.applyFloorMet()), line);
  }
}
