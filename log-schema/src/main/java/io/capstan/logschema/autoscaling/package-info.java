/** The HorizontalPodAutoscaler's {@code autoscaling/v1} form, converted to and from the stored {@code autoscaling/v2} as kube-apiserver converts it. */
package io.capstan.logschema.autoscaling;
