/**
 * What kube-apiserver fills in before it validates and stores an object: the core/v1, apps/v1 and
 * batch/v1 defaulters ({@code SetDefaults_*} and the declarative {@code +default} values), for the
 * kinds and fields Capstan's schema has. Applied by the command processor on every write, and by
 * readers that compare an object stored before a default existed with one stored after.
 */
package io.capstan.logschema.defaults;
