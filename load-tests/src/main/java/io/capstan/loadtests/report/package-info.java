/** What every bench prints: the final JSON line of figures. */
package io.capstan.loadtests.report;
