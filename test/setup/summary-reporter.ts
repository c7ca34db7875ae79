// Prints the plain closing line 'N passed, N failed, N skipped' that CI reads in any language,
// preceded by every skipped test with its full name (which says why: see test/helpers/tools.ts).
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: string[] = [];
    const suiteErrors: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') failed++;
        else skipped.push(`  ${module.moduleId.replace(process.cwd() + '/', '')} > ${test.fullName}${result.state === 'skipped' && result.note ? ` (${result.note})` : ''}`);
      }
      // A file that failed outside its tests (it threw while loading, or a beforeAll failed and
      // its tests never ran) is a failure too, whatever its tests say.
      const testsFailed = [...module.children.allTests()].some((test) => test.result().state === 'failed');
      if (module.state() === 'failed' && !testsFailed) {
        failed++;
        suiteErrors.push(`  ${module.moduleId.replace(process.cwd() + '/', '')}: ${module.errors().map((e) => e.message).join('; ') || 'failed outside its tests'}`);
      }
    }
    if (skipped.length > 0) process.stdout.write(`\nskipped tests:\n${skipped.join('\n')}\n`);
    if (suiteErrors.length > 0) process.stdout.write(`\nfiles that failed outside their tests:\n${suiteErrors.join('\n')}\n`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped.length} skipped\n`);
  }
}
