#!/usr/bin/env node
/**
 * The test files of a run-all.sh mode, slowest first, so that the parallel workers finish
 * together instead of one starting the longest file last (tests/durations.json: wall times
 * measured in parallel runs; a file not listed there is started first, as it may be long).
 *
 *   node tests/support/testFiles.js quick|full            prints the files, one per line
 *   node tests/support/testFiles.js --record <log>        merges a fileDurations.js log into tests/durations.json
 *
 * Plain JS: it runs before anything is compiled.
 */
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..", "..");
const DURATIONS = path.join(ROOT, "tests", "durations.json");
/** Unit, contract and mock tests: no vCenter simulator, no setup runs, no file servers. */
const QUICK_DIRS = ["unit", "contract", "mocks"];

function testFiles(dir) {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const relative = path.posix.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === "support" || entry.name === "snapshots" ? [] : testFiles(relative);
        return entry.name.endsWith(".test.ts") ? [relative] : [];
    });
}

function readDurations() {
    return fs.existsSync(DURATIONS) ? JSON.parse(fs.readFileSync(DURATIONS, "utf8")) : {};
}

function filesOf(mode) {
    const all = testFiles("tests");
    const files = mode === "quick" ? all.filter((file) => QUICK_DIRS.includes(file.split("/")[1])) : all;
    const durations = readDurations();
    const known = (file) => (file in durations ? durations[file] : Infinity);
    return files.sort((a, b) => known(b) - known(a) || a.localeCompare(b));
}

function record(log) {
    const durations = readDurations();
    for (const line of fs.readFileSync(log, "utf8").split("\n").filter(Boolean)) {
        const { file, ms } = JSON.parse(line);
        durations[file] = ms;
    }
    const present = new Set(testFiles("tests"));
    const sorted = Object.fromEntries(Object.entries(durations).filter(([file]) => present.has(file)).sort(([a], [b]) => a.localeCompare(b)));
    fs.writeFileSync(DURATIONS, JSON.stringify(sorted, null, 2) + "\n");
}

if (require.main === module) {
    const [command, argument] = process.argv.slice(2);
    if (command === "--record" && argument) {
        record(argument);
    } else if (command === "quick" || command === "full") {
        process.stdout.write(filesOf(command).join("\n") + "\n");
    } else {
        process.stderr.write("usage: testFiles.js quick|full | --record <durations log>\n");
        process.exit(2);
    }
}

module.exports = { filesOf, QUICK_DIRS };
