/** What every bench reports: the final JSON line of figures, and the CPU the measured work took. */
package io.capstan.loadtests.report;
