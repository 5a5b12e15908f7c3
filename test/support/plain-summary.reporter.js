// Prints the run's totals as one plain line, `Tests: N passed, N failed, N skipped`, after Jest's own
// summary, so that tools that read a closing line (CI among them) need not parse Jest's format.
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\nTests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = PlainSummaryReporter;
