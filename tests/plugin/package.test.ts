/**
 * `npm run package`: the plugin tarball `pulumi plugin install resource palette-airgap <version>
 * --file <tarball>` installs. The test builds it, checks its layout, unpacks it the way the CLI
 * does (into a plugin directory of its own, far from this checkout), starts the unpacked
 * executable as the engine would and asks it for its schema.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PluginProcess, PROJECT_ROOT } from "../support/plugin";

describe("npm run package: the plugin tarball", function () {
    this.timeout(300_000);
    let work: string;
    let tarball: string;
    const version = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version;

    before(function () {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "plugin-package-"));
        const printed = execFileSync("npm", ["run", "--silent", "package", "--", path.join(work, "out")], { cwd: PROJECT_ROOT, encoding: "utf8" });
        tarball = printed.trim().split("\n").pop()!;
    });

    after(function () {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("is named as the CLI expects and holds the executable at its root, the compiled code and the production dependencies only", function () {
        assert.strictEqual(path.basename(tarball), `pulumi-resource-palette-airgap-v${version}-linux-amd64.tar.gz`);
        const entries = execFileSync("tar", ["-tzvf", tarball], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).split("\n");
        const executable = entries.find((line) => / \.\/pulumi-resource-palette-airgap$/.test(line));
        assert.ok(executable, "no executable at the root");
        assert.match(executable!, /^-rwxr-xr-x/);
        const names = entries.map((line) => line.split(/\s+/).pop());
        for (const expected of ["./dist/provider/main.js", "./dist/components/airgapEnvironment.js", "./package.json", "./node_modules/@pulumi/pulumi/package.json", "./node_modules/@pulumi/aws/package.json", "./node_modules/undici/package.json", "./native/build/Release/sha256pair.node"]) {
            assert.ok(names.includes(expected), `${expected} is missing`);
        }
        for (const devOnly of ["mocha", "ajv-formats", "@types/mocha", "@types/tar-stream"]) {
            assert.ok(!names.some((name) => name?.startsWith(`./node_modules/${devOnly}/`)), `dev dependency ${devOnly} is in the tarball`);
        }
        assert.ok(!names.some((name) => name?.startsWith("./native/") && !name.endsWith("/") && name !== "./native/build/Release/sha256pair.node"), "native build leftovers (objects, Makefiles, sources) are in the tarball");
        assert.ok(!names.some((name) => /^\.\/(components|provider|tests|index\.ts)/.test(name ?? "") || (name?.startsWith("./dist/") && name.endsWith(".ts") && !name.endsWith(".d.ts"))), "our TypeScript sources are in the tarball");
    });

    it("holds regular files and directories only: no symlinks (node_modules/.bin), which Pulumi CLIs before 3.247 refuse to install", function () {
        const entries = execFileSync("tar", ["-tzvf", tarball], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).split("\n").filter((line) => line !== "");
        const others = entries.filter((line) => !/^[-d]/.test(line));
        assert.deepStrictEqual(others.slice(0, 10), [], `${others.length} entries are neither regular files nor directories`);
        assert.ok(!entries.some((line) => /\/\.bin(\/|$)/.test(line)), "a node_modules/.bin folder is in the tarball");
    });

    it("holds no dev dependency (TypeScript, ts-node, mocha, @types), even where a production package names one as an optional peer", function () {
        const names = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).split("\n");
        const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));
        const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8"));
        // Our dev dependencies, and whatever the lock file says only they (or an optional peer) need, by their place in node_modules.
        const devOnly = new Set<string>([
            ...Object.keys(manifest.devDependencies).map((name) => `node_modules/${name}`),
            ...Object.entries<{ dev?: boolean; devOptional?: boolean }>(lock.packages)
                .filter(([location, meta]) => location !== "" && (meta.dev || meta.devOptional))
                .map(([location]) => location),
        ]);
        for (const expected of ["typescript", "ts-node", "mocha", "@types/mocha"]) assert.ok(devOnly.has(`node_modules/${expected}`), `${expected} is not dev-only by the lock file`);
        const found = new Set<string>();
        for (const name of names) {
            const location = /^\.\/((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+)/.exec(name)?.[1].replace(/\/$/, "");
            if (location && (devOnly.has(location) || /(^|\/)node_modules\/@types\//.test(location))) found.add(location);
        }
        assert.deepStrictEqual([...found], []);
        assert.ok(!names.some((name) => name.startsWith("./node_modules/") && /\.d\.[cm]?ts$/.test(name)), "type declarations of dependencies are in the tarball");
    });

    it("is at most 16 MiB (11 MiB measured 2026-12-07; 27.5 MiB when it held TypeScript, ts-node and the type declarations)", function () {
        const size = fs.statSync(tarball).size;
        assert.ok(size <= 16 * 1024 * 1024, `the tarball is ${(size / 1024 / 1024).toFixed(1)} MiB`);
    });

    it("unpacked into a directory with no node_modules above it, the code Construct loads (components, @pulumi/aws, @pulumi/command, @pulumi/docker) resolves and loads", function () {
        const pluginDir = path.join(work, "unpacked-construct");
        fs.mkdirSync(pluginDir, { recursive: true });
        execFileSync("tar", ["-xzf", tarball, "-C", pluginDir]);
        for (let dir = path.dirname(pluginDir); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
            assert.ok(!fs.existsSync(path.join(dir, "node_modules")), `${dir} holds a node_modules the unpacked plugin could load from`);
        }
        const script = `
            for (const module of ["./dist/components/airgapEnvironment.js", "./dist/provider/components.js", "@pulumi/aws", "@pulumi/command", "@pulumi/docker"]) require(module);
            const outside = Object.keys(require.cache).filter((file) => !file.startsWith(${JSON.stringify(pluginDir + path.sep)}));
            console.log(JSON.stringify(outside));`;
        const outside = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: pluginDir, env: { PATH: process.env.PATH }, encoding: "utf8" }));
        assert.deepStrictEqual(outside, [], "modules loaded from outside the unpacked plugin");
    });

    it("unpacked elsewhere (as pulumi plugin install does), the executable starts and serves the schema at its version", async function () {
        const pluginDir = path.join(work, "home", ".pulumi", "plugins", `resource-palette-airgap-v${version}`);
        fs.mkdirSync(pluginDir, { recursive: true });
        execFileSync("tar", ["-xzf", tarball, "-C", pluginDir]);
        const empty = fs.mkdtempSync(path.join(work, "cwd-"));
        const plugin = await PluginProcess.start({ executable: path.join(pluginDir, "pulumi-resource-palette-airgap"), cwd: empty, env: { PATH: process.env.PATH, HOME: path.join(work, "home") } });
        try {
            assert.strictEqual(await plugin.getPluginInfo(), version);
            const schema = await plugin.getSchema();
            assert.strictEqual(schema.name, "palette-airgap");
            assert.ok(schema.resources["palette-airgap:index:AirgapEnvironment"]);
            const { result } = await plugin.check("palette-airgap:registry:HarborProject", "p", {}, { endpoint: "harbor.lab.internal", username: "u", password: "p", projectName: "spectro-packs", public: false });
            assert.deepStrictEqual(result.failures, []);
        } finally {
            await plugin.stop();
        }
    });

    it("unpacked elsewhere, the compiled loader finds the tarball's own native SHA-256 addon and hashes with it", function () {
        const pluginDir = path.join(work, "unpacked-native");
        fs.mkdirSync(pluginDir, { recursive: true });
        execFileSync("tar", ["-xzf", tarball, "-C", pluginDir]);
        const loader = path.join(pluginDir, "dist", "components", "vsphere", "sha256Native.js");
        const script = `
            const loader = require(${JSON.stringify(loader)});
            const probe = loader.probeNativeSha256();
            if (!probe.available) { console.log(JSON.stringify({ reason: probe.reason })); return; }
            const native = loader.loadNativeSha256();
            const a = new Uint8Array(native.STATE_BYTES), b = new Uint8Array(native.STATE_BYTES);
            native.init(a); native.init(b);
            native.updatePair(a, b, Buffer.from("abc"));
            console.log(JSON.stringify({ path: loader.nativeSha256Path(), digests: [native.final(a).toString("hex"), native.final(b).toString("hex")] }));`;
        const empty = fs.mkdtempSync(path.join(work, "cwd-"));
        const answer = JSON.parse(execFileSync(process.execPath, ["-e", `(() => {${script}})()`], { cwd: empty, env: { PATH: process.env.PATH }, encoding: "utf8" }));
        if (answer.reason && /this CPU lacks the SHA extensions/.test(answer.reason) && process.env.CI !== "true") {
            console.log(`    (loaded, but not used here: ${answer.reason})`);
            return;
        }
        const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert.deepStrictEqual(answer, { path: path.join(pluginDir, "native", "build", "Release", "sha256pair.node"), digests: [abc, abc] });
    });
});
