package io.capstan.nodeagent.runtime;

/**
 * A running container's resource usage (CRI ContainerStats), with which container it is.
 *
 * @param container the container as {@link RuntimeService#listContainers} reports it
 * @param usage     its cgroup's reading
 */
public record ContainerStats(ContainerInfo container, ResourceUsage usage) {}
