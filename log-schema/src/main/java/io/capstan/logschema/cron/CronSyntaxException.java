package io.capstan.logschema.cron;

/** A schedule that does not parse; the message is worded as Kubernetes' cron parser words it. */
public final class CronSyntaxException extends Exception {
  public CronSyntaxException(String message) {
    super(message);
  }
}
