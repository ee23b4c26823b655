package io.capstan.scheduler.framework;

/** A node's total weighted score in one cycle. */
public record NodeScore(String node, long score) {}
