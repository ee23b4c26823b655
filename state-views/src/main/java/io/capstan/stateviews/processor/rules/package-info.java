/**
 * What a write does to an object, as kube-apiserver's registry decides it: create, update,
 * status update, delete (finalizers, graceful pod deletion, namespace termination) and pod
 * binding. Pure decisions on Avro objects, no Kafka: the processor stores what they say.
 */
package io.capstan.stateviews.processor.rules;
