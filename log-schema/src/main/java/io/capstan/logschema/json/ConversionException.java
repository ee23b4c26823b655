package io.capstan.logschema.json;

/**
 * JSON or YAML that does not fit the resource schema: a wrong type, a bad value, a
 * mismatched apiVersion/kind, or text that does not parse. The message starts with the
 * field path, e.g. {@code spec.replicas: expected integer, got string "three"}; a gateway
 * turns it into a 400 BadRequest (or 422 Invalid) Status with the path as the cause's field.
 */
public class ConversionException extends RuntimeException {
  private final String path;
  private final String problem;

  public ConversionException(String path, String problem) {
    super(path.isEmpty() ? problem : path + ": " + problem);
    this.path = path;
    this.problem = problem;
  }

  public ConversionException(String path, String problem, Throwable cause) {
    super(path.isEmpty() ? problem : path + ": " + problem, cause);
    this.path = path;
    this.problem = problem;
  }

  /** The JSON path of the offending field; empty when the whole document is at fault. */
  public String path() {
    return path;
  }

  /** What is wrong, without the path. */
  public String problem() {
    return problem;
  }
}
