package io.capstan.stateviews.informer;

import java.util.List;
import java.util.Map;

/**
 * The cache at one instant, taken atomically with the versions it reflects.
 *
 * @param objects             every object, ordered by key
 * @param listResourceVersion the consistent cut: every change with rv &lt;= it is reflected. Some
 *                            partitions may be further on, so a watch resumed from this rv may
 *                            repeat a few changes already reflected here (as Kubernetes watches may).
 * @param partitionVersions   per partition, the closed rv the objects reflect exactly: a watch that
 *                            continues this snapshot resumes each partition after its rv
 */
public record Snapshot<T>(List<T> objects, long listResourceVersion, Map<Integer, Long> partitionVersions) {}
