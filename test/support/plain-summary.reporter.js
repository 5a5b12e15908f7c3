// Prints the run's totals as one plain line, `Tests: N passed, N failed, N skipped`, as the very last
// output line (after Jest's own summary), so that tools that read a closing line need not parse Jest's format.
const { writeSync } = require('node:fs');

class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.once('exit', () => writeSync(1, line));
  }
}
module.exports = PlainSummaryReporter;
