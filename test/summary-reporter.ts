import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line that any CI log reader understands: `tests: N passed, N failed, N skipped`, and,
 * when any, the suites that failed outside their tests (a hook, an import) and the unhandled errors, so the line
 * never says `0 failed` about a run that failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    let failedSuites = 0;
    for (const mod of testModules) {
      let failedTests = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') count.passed++;
        else if (state === 'failed') {
          count.failed++;
          failedTests++;
        } else count.skipped++;
      }
      if (mod.state() === 'failed' && failedTests === 0) failedSuites++;
    }
    const extra = [
      ...(failedSuites ? [`${failedSuites} suites failed`] : []),
      ...(unhandledErrors.length ? [`${unhandledErrors.length} unhandled errors`] : []),
    ];
    process.stdout.write(
      `\ntests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped` +
        `${extra.length ? `; ${extra.join(', ')}` : ''}\n`,
    );
  }
}
