/**
 * README "Quick start" on a fresh clone: `npm ci`, then `pulumi preview`, which starts
 * bin/pulumi-resource-palette-airgap (Pulumi.yaml plugins.providers). Nothing else builds dist/
 * in between, so `npm ci` must (the `prepare` script). The test makes a fresh checkout of this
 * tree (the files git tracks or would track: no dist/, no node_modules, no native/build),
 * installs it with `npm ci --offline` (from the npm cache the checkout's own install filled:
 * nothing is downloaded), and starts the plugin as the engine does.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PluginProcess, PROJECT_ROOT } from "../support/plugin";

/** Copies the files of this tree that a clone of it (with the working changes committed) would hold. */
function freshCheckout(into: string): void {
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8" })
        .split("\0")
        .filter((file) => file !== "" && fs.existsSync(path.join(PROJECT_ROOT, file)));
    for (const file of files) {
        fs.mkdirSync(path.dirname(path.join(into, file)), { recursive: true });
        fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(into, file));
        fs.chmodSync(path.join(into, file), fs.statSync(path.join(PROJECT_ROOT, file)).mode);
    }
}

describe("a fresh clone: npm ci leaves a working plugin", function () {
    this.timeout(600_000);
    let work: string;
    let clone: string;
    let install: ReturnType<typeof spawnSync>;
    const plugins: PluginProcess[] = [];

    before(function () {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-clone-"));
        clone = path.join(work, "palette-airgap");
        freshCheckout(clone);
        assert.ok(!fs.existsSync(path.join(clone, "dist")), "the fresh checkout already holds dist/");
        install = spawnSync("npm", ["ci", "--offline", "--no-audit", "--no-fund"], {
            cwd: clone,
            encoding: "utf8",
            env: { ...process.env, npm_config_update_notifier: "false" },
            maxBuffer: 64 * 1024 * 1024,
        });
    });

    after(async function () {
        for (const plugin of plugins) await plugin.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    async function startPlugin(env: NodeJS.ProcessEnv = {}): Promise<PluginProcess> {
        const plugin = await PluginProcess.start({ executable: path.join(clone, "bin", "pulumi-resource-palette-airgap"), env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
        plugins.push(plugin);
        return plugin;
    }

    it("npm ci (offline, from the cache) succeeds and builds dist/ through the prepare script", function () {
        assert.strictEqual(install.status, 0, `npm ci failed:\n${install.stdout}\n${install.stderr}`);
        assert.ok(fs.existsSync(path.join(clone, "dist", "provider", "main.js")), "npm ci left no dist/provider/main.js");
        assert.strictEqual(spawnSync(process.execPath, ["scripts/distFreshness.js"], { cwd: clone }).status, 0, "dist/ is not fresh after npm ci");
    });

    it("the plugin executable starts as the engine starts it, prints its port and answers GetPluginInfo", async function () {
        const plugin = await startPlugin();
        assert.ok(plugin.port > 0);
        const version = JSON.parse(fs.readFileSync(path.join(clone, "package.json"), "utf8")).version;
        assert.strictEqual(await plugin.getPluginInfo(), version);
    });

    it("npm run build right after npm ci does not compile again (tests/run-all.sh builds after its npm ci)", function () {
        const entry = path.join(clone, "dist", "provider", "main.js");
        const before = fs.statSync(entry).mtimeMs;
        execFileSync("npm", ["run", "--silent", "build"], { cwd: clone, encoding: "utf8" });
        assert.strictEqual(fs.statSync(entry).mtimeMs, before, "npm run build rewrote an up-to-date dist/");
    });

    it("a source changed after the build: the plugin refuses to start and says to run npm run build", async function () {
        const source = path.join(clone, "components", "names.ts");
        const later = new Date(Date.now() + 5_000);
        fs.utimesSync(source, later, later);
        await assert.rejects(startPlugin(), (error: Error) => {
            assert.match(error.message, /exited \(1\) before printing its port/);
            assert.match(error.message, /stale \(components\/names\.ts changed after the last build\); run `npm run build`/);
            return true;
        });
        const plugin = await startPlugin({ PALETTE_AIRGAP_ALLOW_STALE_DIST: "1" });
        assert.ok(plugin.port > 0, "the override did not start the stale plugin");
    });
});
