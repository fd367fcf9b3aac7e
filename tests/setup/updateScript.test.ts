/**
 * The Command's update script: a change that is not a new binary or registry target (a rotated
 * password, more attempts) must not re-run the hour-long upload, yet must report the last result.
 * Runs the generated scripts with bash; the "binary" is a small script counting its runs.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { binaryRunScript, binaryUpdateScript, parseRunResult } from "../../components/setup/runScript";

describe("binaryUpdateScript (bash, no registry needed)", () => {
    let dir: string;
    let counter: string;
    let spec: Parameters<typeof binaryRunScript>[0];

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "update-script-"));
        counter = path.join(dir, "runs");
        const binary = path.join(dir, "airgap-v4.2.13.bin");
        const zip = path.join(dir, "spectro-manifests-1732550000.zip");
        fs.writeFileSync(zip, "zip");
        fs.writeFileSync(
            binary,
            `#!/bin/bash\necho run >> '${counter}'\necho 'Uncompressing Airgap Setup - Version 4.2.13  100%'\necho 'Manifests are available in ${zip}'\necho 'Setup Completed'\n`,
            { mode: 0o755 },
        );
        spec = {
            binaryPath: binary, label: "setup", workDir: path.join(dir, "work"), stateDir: path.join(dir, "state"),
            loginTool: "skopeo", logins: [], environment: { OCI_IMAGE_REGISTRY: "127.0.0.1:5000" }, maxAttempts: 1, retryDelaySeconds: 0,
        };
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const bash = (script: string) => spawnSync("/bin/bash", ["-c", script], { encoding: "utf8" });
    const runs = () => (fs.existsSync(counter) ? fs.readFileSync(counter, "utf8").trim().split("\n").length : 0);

    it("after a successful run, update reports the same result without running the binary again", () => {
        const created = bash(binaryRunScript(spec));
        assert.strictEqual(created.status, 0, created.stderr);
        assert.strictEqual(runs(), 1);
        const updated = bash(binaryUpdateScript(spec));
        assert.strictEqual(updated.status, 0, updated.stderr);
        assert.strictEqual(runs(), 1, "the update ran the binary");
        assert.deepStrictEqual(parseRunResult(updated.stdout), parseRunResult(created.stdout));
        assert.strictEqual(parseRunResult(updated.stdout).version, "4.2.13");
        assert.match(updated.stdout, /not uploading again/);
    });

    it("without a recorded result, update fails and says how to run the binary again", () => {
        fs.rmSync(path.join(spec.stateDir, "results"), { recursive: true, force: true });
        const updated = bash(binaryUpdateScript(spec));
        assert.notStrictEqual(updated.status, 0);
        assert.match(updated.stderr, /pulumi up --replace/);
        assert.strictEqual(runs(), 1);
    });
});
