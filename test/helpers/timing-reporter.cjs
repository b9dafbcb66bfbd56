// A mocha reporter for finding where the suite's time goes: the spec reporter's output, then each
// test file's wall-clock time (its top-level suites from begin to end) with how much of it went to
// hooks (before/after all: node starts and stops, builds; before/after each), slowest first.
//   npx mocha --no-parallel --reporter test/helpers/timing-reporter.cjs 'test/**/*.test.ts'
// (serially: mocha --parallel, which .mocharc.json sets, reports no hooks and replays each file's
// events when it ends, so its times would mean nothing.)
// TIMING_JSON=path also writes the table as JSON. CommonJS because mocha require()s reporters.
const Mocha = require("mocha");
const fs = require("node:fs");
const path = require("node:path");

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_HOOK_BEGIN, EVENT_HOOK_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } =
  Mocha.Runner.constants;

class TimingReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const runStart = Date.now();
    const files = new Map();
    const of = (file) => {
      const key = file ? path.relative(process.cwd(), file) : "(root)";
      let row = files.get(key);
      if (!row) files.set(key, (row = { file: key, ms: 0, hooksAllMs: 0, hooksEachMs: 0, tests: 0, failures: 0, pending: 0 }));
      return row;
    };
    const started = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.parent && suite.parent.root) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t = started.get(suite);
      if (t !== undefined) of(suite.file).ms += Date.now() - t;
    });
    runner.on(EVENT_HOOK_BEGIN, (hook) => started.set(hook, Date.now()));
    runner.on(EVENT_HOOK_END, (hook) => {
      const row = of(hook.file || (hook.parent && hook.parent.file));
      const ms = Date.now() - (started.get(hook) ?? Date.now());
      if (/each/.test(hook.title)) row.hooksEachMs += ms;
      else row.hooksAllMs += ms;
    });
    runner.on(EVENT_TEST_PASS, (test) => of(test.file).tests++);
    runner.on(EVENT_TEST_FAIL, (test) => {
      const row = of(test.file);
      row.tests++;
      row.failures++;
    });
    runner.on(EVENT_TEST_PENDING, (test) => of(test.file).pending++);
    runner.once(EVENT_RUN_END, () => {
      const totalMs = Date.now() - runStart;
      const rows = [...files.values()].sort((a, b) => b.ms - a.ms);
      const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
      const lines = rows.map(
        (r) =>
          `${s(r.ms).padStart(9)} ${String(r.tests).padStart(4)} tests (hooks: all ${s(r.hooksAllMs)}, each ${s(r.hooksEachMs)})` +
          `${r.failures ? ` ${r.failures} FAILED` : ""}${r.pending ? ` ${r.pending} pending` : ""}  ${r.file}`,
      );
      console.log(`\nper-file wall-clock, run ${s(totalMs)}:\n${lines.join("\n")}`);
      if (process.env.TIMING_JSON) fs.writeFileSync(process.env.TIMING_JSON, JSON.stringify({ totalMs, rows }, null, 2));
    });
  }
}

module.exports = TimingReporter;
