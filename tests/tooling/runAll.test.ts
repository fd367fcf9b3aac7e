/**
 * The test command itself (tests/run-all.sh), run on a small project of its own: a temporary copy
 * of the script and its helpers with a few test files that pass, skip and fail. It must give one
 * summary line for all worker processes, fail when any file fails, keep the quick mode to unit,
 * contract and mock tests, and fail a run with a skipped test under CI=true.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../support/stackHarness";

const FILES: Record<string, string> = {
    "tests/unit/pass.test.ts": `describe("unit", () => { it("one", () => {}); it("two", () => {}); });\n`,
    "tests/mocks/skip.test.ts": `describe("mocks", () => { it("three", () => {}); it("pending"); });\n`,
    "tests/vsphere/fail.test.ts": `describe("vsphere", () => { it("four", () => {}); it("five", () => { throw new Error("fails"); }); });\n`,
};

describe("tests/run-all.sh", function () {
    this.timeout(180000);
    let project: string;

    before(() => {
        project = fs.mkdtempSync(path.join(os.tmpdir(), "palette-run-all-"));
        for (const file of ["tests/run-all.sh", "tests/support/testFiles.js", "tests/support/fileDurations.js", ".mocharc.json"]) {
            fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
            fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(project, file));
        }
        // Both modes build the native SHA-256 addon (npm run build:native), the full mode also the
        // provider plugin (npm run build): here marker files.
        fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "run-all-test", private: true, scripts: { build: "echo built > built.txt", "build:native": "echo native > native.txt" } }));
        // The full mode also builds the Pulumi toolchain and installs the Python SDK: marker files too.
        for (const [script, marker] of [["scripts/pulumi-toolchain.sh", "toolchain.txt"], ["scripts/python-sdk.sh", "python-sdk.txt"]]) {
            fs.mkdirSync(path.join(project, "scripts"), { recursive: true });
            fs.writeFileSync(path.join(project, script), `#!/usr/bin/env bash\necho done > ${marker}\n`, { mode: 0o755 });
        }
        // A small tsconfig (mocha's types only): the type check of each run stays short.
        // Older than node_modules/.package-lock.json, so that the script does not run npm ci.
        fs.copyFileSync(path.join(PROJECT_ROOT, "package-lock.json"), path.join(project, "package-lock.json"));
        const installed = fs.statSync(path.join(PROJECT_ROOT, "node_modules", ".package-lock.json")).mtime;
        fs.utimesSync(path.join(project, "package-lock.json"), installed, new Date(installed.getTime() - 60000));
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(project, "node_modules"));
        fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, types: ["mocha"], lib: ["es2022"], skipLibCheck: true }, include: ["tests/**/*.ts"] }));
        for (const [file, content] of Object.entries(FILES)) {
            fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
            fs.writeFileSync(path.join(project, file), content);
        }
    });
    after(() => fs.rmSync(project, { recursive: true, force: true }));

    function runAll(args: string[], env: Record<string, string> = {}) {
        const result = spawnSync("bash", ["tests/run-all.sh", ...args], { cwd: project, encoding: "utf8", env: { ...process.env, CI: "", ...env } });
        const summary = result.stdout.split("\n").filter((line) => line.startsWith("tests: "));
        return { status: result.status, summary, output: `${result.stdout}${result.stderr}` };
    }

    it("full: one summary line over both workers, the failing file fails the run, and the measured times are recorded", () => {
        const result = runAll([], { UPDATE_DURATIONS: "1" });
        assert.notStrictEqual(result.status, 0, result.output);
        assert.ok(fs.existsSync(path.join(project, "built.txt")), "the full mode builds the plugin before the tests");
        assert.ok(fs.existsSync(path.join(project, "native.txt")), "the full mode builds the native addon before the tests");
        assert.ok(fs.existsSync(path.join(project, "toolchain.txt")), "the full mode builds the Pulumi toolchain (the e2e tests run the real CLI)");
        assert.ok(fs.existsSync(path.join(project, "python-sdk.txt")), "the full mode installs the Python SDK (the Python e2e test)");
        assert.deepStrictEqual(result.summary, ["tests: 4 passed, 1 failed, 1 skipped"], result.output);
        // Each file ran in a worker (fileDurations.js records only there) and got a measured time.
        const durations = JSON.parse(fs.readFileSync(path.join(project, "tests", "durations.json"), "utf8"));
        assert.deepStrictEqual(Object.keys(durations).sort(), Object.keys(FILES).sort());
        for (const ms of Object.values(durations)) assert.ok(typeof ms === "number" && ms >= 0);
    });

    it("--quick: only unit, contract and mock tests, after building the native addon", () => {
        fs.rmSync(path.join(project, "built.txt"), { force: true });
        fs.rmSync(path.join(project, "native.txt"), { force: true });
        fs.rmSync(path.join(project, "toolchain.txt"), { force: true });
        const result = runAll(["--quick"]);
        assert.strictEqual(result.status, 0, result.output);
        assert.deepStrictEqual(result.summary, ["tests: 3 passed, 0 failed, 1 skipped"]);
        assert.doesNotMatch(result.output, /vsphere/);
        assert.ok(!fs.existsSync(path.join(project, "built.txt")), "the quick mode has no plugin tests and does not build the plugin");
        assert.ok(!fs.existsSync(path.join(project, "toolchain.txt")), "the quick mode runs no e2e test and builds no toolchain");
        assert.ok(fs.existsSync(path.join(project, "native.txt")), "the quick mode builds the native addon too");
    });

    it("TEST_JOBS=1 runs the same tests in one process with the same summary; under CI=true a skipped test fails the run", () => {
        const result = runAll(["--quick"], { CI: "true", TEST_JOBS: "1" });
        assert.strictEqual(result.status, 1);
        assert.deepStrictEqual(result.summary, ["tests: 3 passed, 0 failed, 1 skipped"]);
        assert.match(result.output, /CI: 1 test\(s\) skipped; every test must run in CI/);
    });

    it("a type error fails the run even when every test passes (tsc runs beside the tests)", () => {
        const broken = path.join(project, "tests", "unit", "typo.ts");
        fs.writeFileSync(broken, `export const port: number = "8080";\n`);
        try {
            const result = runAll(["--quick"]);
            assert.notStrictEqual(result.status, 0);
            assert.deepStrictEqual(result.summary, ["tests: 3 passed, 0 failed, 1 skipped"]);
            assert.match(result.output, /typo\.ts.*TS2322/);
            assert.match(result.output, /type check failed/);
        } finally {
            fs.rmSync(broken);
        }
    });

    it("refuses an unknown argument and a bad TEST_JOBS", () => {
        assert.strictEqual(runAll(["--fast"]).status, 2);
        assert.strictEqual(runAll(["--quick"], { TEST_JOBS: "two" }).status, 2);
    });
});
