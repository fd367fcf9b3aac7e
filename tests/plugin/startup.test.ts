/**
 * The engine starts the plugin on every preview and waits for its port: what it loads before
 * printing the port is paid every time (bench/PLUGIN-START.md: 1.3 s and 138 MiB with the
 * whole SDK and our resource implementations loaded eagerly; 0.2-0.6 s and 60 MiB without).
 * No timing is asserted here (the machines are shared); the modules loaded at the port are,
 * so that an eager import that brings the cost back fails a test. The module list comes from a
 * probe preloaded with NODE_OPTIONS (tests/support/loadedModulesAtPort.js).
 */
import * as assert from "assert";
import * as path from "path";
import { PluginProcess, PROJECT_ROOT } from "../support/plugin";

const PROBE = path.join(PROJECT_ROOT, "tests", "support", "loadedModulesAtPort.js");

describe("plugin start: only the gRPC server and the call routing load before the port", function () {
    this.timeout(120_000);
    let plugin: PluginProcess;
    let loaded: string[];

    before(async function () {
        plugin = await PluginProcess.start({ env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: `--require ${PROBE}` } });
        // The probe wrote its line to stderr before the port went to stdout, but the two pipes
        // are read independently: give stderr a moment to arrive.
        const probeLine = () => plugin.transcript().split("\n").find((text) => text.startsWith("loaded-modules-at-port: "));
        for (let waited = 0; !probeLine() && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
        const line = probeLine();
        assert.ok(line, `the probe reported nothing; plugin output:\n${plugin.transcript()}`);
        loaded = JSON.parse(line!.slice("loaded-modules-at-port: ".length)).map((file: string) => path.relative(PROJECT_ROOT, file));
    });

    after(async function () {
        if (plugin) await plugin.stop();
    });

    const packageOf = (file: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];

    it("loads none of the SDKs behind the components (@pulumi/aws, @pulumi/command, @pulumi/docker)", function () {
        assert.deepStrictEqual(loaded.filter((file) => ["@pulumi/aws", "@pulumi/command", "@pulumi/docker"].includes(packageOf(file) ?? "")), []);
    });

    it("loads none of the libraries of the resource implementations (undici, fast-xml-parser, yaml, tar-stream)", function () {
        assert.deepStrictEqual(loaded.filter((file) => ["undici", "fast-xml-parser", "yaml", "tar-stream"].includes(packageOf(file) ?? "")), []);
    });

    it("does not load the SDK's index (@pulumi/pulumi: automation, npm tooling, about 1 s), only its provider server", function () {
        assert.ok(loaded.includes("node_modules/@pulumi/pulumi/provider/server.js"), "the SDK's provider server is not loaded: is this the plugin?");
        assert.deepStrictEqual(loaded.filter((file) => file === "node_modules/@pulumi/pulumi/index.js" || file.startsWith("node_modules/@pulumi/pulumi/automation/") || packageOf(file)?.startsWith("@npmcli/")), []);
    });

    it("of our code loads only the entry, the provider class, the call routing, the wire format, the Diff handler and the Construct error routing (no component, schema or resource implementation)", function () {
        const ours = loaded.filter((file) => file.startsWith("dist/")).sort();
        assert.deepStrictEqual(ours, [
            "dist/components/customResourceTokens.js",
            "dist/components/resourceProvider.js",
            "dist/provider/constructScope.js",
            "dist/provider/customResources.js",
            "dist/provider/diffService.js",
            "dist/provider/main.js",
            "dist/provider/paletteAirgapProvider.js",
            "dist/provider/wire.js",
        ]);
    });

    it("still serves every call after a lazy start: GetSchema and a Check load what they need", async function () {
        const schema = await plugin.getSchema();
        assert.ok(schema.resources["palette-airgap:registry:HarborProject"]);
        const { result } = await plugin.check("palette-airgap:registry:HarborProject", "p", {}, { endpoint: "harbor.lab.internal", username: "u", password: "p", projectName: "spectro-packs", public: false });
        assert.deepStrictEqual(result.failures, []);
        assert.ok(plugin.alive);
    });
});
