/** What clients did and saw: operations per object key with call and return times, inputs and outputs. */
package io.capstan.loadtests.robustness.history;
