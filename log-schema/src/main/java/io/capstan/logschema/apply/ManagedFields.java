package io.capstan.logschema.apply;

import io.capstan.api.ManagedFieldsEntry;
import io.capstan.api.ObjectMeta;
import io.capstan.logschema.json.KubeJson;
import io.capstan.logschema.validation.FieldError;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** {@code metadata.managedFields} read from and written to an object's metadata. */
public final class ManagedFields {
  public static final String FIELDS_V1 = "FieldsV1";

  private ManagedFields() {}

  /** The entries of {@code meta}; {@link IllegalArgumentException} when one is malformed (see {@link #check}). */
  public static List<ManagedEntry> read(ObjectMeta meta) {
    List<ManagedEntry> out = new ArrayList<>();
    if (meta == null || meta.getManagedFields() == null) {
      return out;
    }
    for (ManagedFieldsEntry e : meta.getManagedFields()) {
      FieldSet set = e.getFieldsV1() == null ? new FieldSet() : FieldSet.fromFieldsV1(KubeJson.parse(e.getFieldsV1()));
      out.add(new ManagedEntry(nonNull(e.getManager()), nonNull(e.getOperation()), nonNull(e.getApiVersion()),
          e.getTime(), e.getSubresource(), set));
    }
    return out;
  }

  /** Sets the entries of {@code meta} (none: null, as Kubernetes leaves it out). */
  public static void write(ObjectMeta meta, List<ManagedEntry> entries) {
    if (entries.isEmpty()) {
      meta.setManagedFields(null);
      return;
    }
    List<ManagedFieldsEntry> out = new ArrayList<>(entries.size());
    for (ManagedEntry e : entries) {
      out.add(ManagedFieldsEntry.newBuilder()
          .setManager(e.manager())
          .setOperation(e.operation())
          .setApiVersion(e.apiVersion())
          .setTime(e.time())
          .setFieldsType(FIELDS_V1)
          .setFieldsV1(e.fields().toFieldsV1Text())
          .setSubresource(e.subresource().isEmpty() ? null : e.subresource())
          .build());
    }
    meta.setManagedFields(out);
  }

  /** What is wrong with the entries a client sent, as kube-apiserver's ValidateManagedFields words it. */
  public static List<FieldError> check(ObjectMeta meta) {
    List<FieldError> errors = new ArrayList<>();
    if (meta == null || meta.getManagedFields() == null) {
      return errors;
    }
    for (int i = 0; i < meta.getManagedFields().size(); i++) {
      ManagedFieldsEntry e = meta.getManagedFields().get(i);
      String at = "metadata.managedFields[" + i + "]";
      if (!ManagedEntry.APPLY.equals(e.getOperation()) && !ManagedEntry.UPDATE.equals(e.getOperation())) {
        errors.add(new FieldError(at + ".operation", "FieldValueNotSupported", "Unsupported value: \""
            + e.getOperation() + "\": supported values: \"Apply\", \"Update\""));
      }
      if (e.getFieldsType() != null && !FIELDS_V1.equals(e.getFieldsType())) {
        errors.add(new FieldError(at + ".fieldsType", "FieldValueNotSupported", "Unsupported value: \""
            + e.getFieldsType() + "\": supported values: \"FieldsV1\""));
      }
      if (e.getFieldsV1() != null) {
        try {
          FieldSet.fromFieldsV1(KubeJson.parse(e.getFieldsV1()));
        } catch (RuntimeException ex) {
          errors.add(new FieldError(at + ".fieldsV1", "FieldValueInvalid", "Invalid value: " + ex.getMessage()));
        }
      }
    }
    return errors;
  }

  /** A managedFields time: RFC 3339 in whole seconds, as metav1.Time. */
  public static String time(Instant now) {
    return DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }
}
