/**
 * Mocha root-hook plugin (tests/run-all.sh loads it with --require; plain JS because mocha loads
 * --require files before ts-node): records each test file's wall time, from its first hook or test
 * to its last, as one JSON line per file in $TEST_DURATIONS_LOG. In parallel mode root hooks run
 * once per file, in the worker that runs it; nothing is recorded in serial mode. run-all.sh starts
 * the slowest files first.
 */
const fs = require("fs");
const path = require("path");

// Only in parallel mode (a worker has MOCHA_WORKER_ID): a serial run has one root suite for all files.
const log = process.env.MOCHA_WORKER_ID !== undefined ? process.env.TEST_DURATIONS_LOG : undefined;
const root = path.resolve(__dirname, "..", "..");
let startedAt = 0;

function fileOf(suite) {
    return suite && (suite.file || suite.suites.map((child) => child.file).find(Boolean));
}

exports.mochaHooks = log
    ? {
          beforeAll() {
              startedAt = Date.now();
          },
          afterAll() {
              const file = fileOf(this.test && this.test.parent);
              if (file) {
                  fs.appendFileSync(log, JSON.stringify({ file: path.relative(root, file), ms: Date.now() - startedAt }) + "\n");
              }
          },
      }
    : {};
