/** What a bench runs against: Kafka (embedded unless given), Capstan's topics and an in-process command processor. */
package io.capstan.loadtests.stack;
