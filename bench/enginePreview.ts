/**
 * `pulumi preview` of a Harbor stack under the real CLI (scripts/pulumi-toolchain.sh), with no
 * changes, with and without `--refresh`, against a program of SDK resources alone with the same
 * numbers of components and custom resources, through the same engine, backend and plugins; and
 * the program run from its compiled form (dist/index.js) against ts-node (transpile-only, as
 * scripts/up.sh runs it). Whole `pulumi` processes in turn, medians.
 *
 *   npx ts-node --transpile-only bench/enginePreview.ts [--runs 5]
 *
 * The site is the end-to-end tests' (tests/e2e/support/airgapSite.ts: vcsim, two Harbors, the
 * file-server guest), with the same stand-in vSphere and Command plugins (their Go modules are
 * not served here). Needs root (the guest's sshd), like the end-to-end tests.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { startSite } from "../tests/e2e/support/airgapSite";
import { copyWithCheckoutBuild } from "../tests/e2e/support/project";
import { assertSucceeded, PulumiSession, PROJECT_ROOT, toolchainReady } from "../tests/e2e/support/pulumiCli";
import { GOVMOMI_BIN } from "../tests/support/vcsim";
import { median } from "./stats";

const STACK = "bench";

function argument(name: string, fallback: number): number {
    const index = process.argv.indexOf(`--${name}`);
    return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

async function timed(runs: number, run: () => Promise<void>): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const started = process.hrtime.bigint();
        await run();
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return times;
}

/** A program of SDK resources alone: `components` ComponentResources and `customs` command:local:Commands (`true`). */
function baselineProject(dir: string, components: number, customs: number): string {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: baseline\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "baseline", main: "index.js" }));
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(
        path.join(dir, "index.js"),
        [
            'const pulumi = require("@pulumi/pulumi");',
            'const command = require("@pulumi/command");',
            "class Part extends pulumi.ComponentResource { constructor(name, opts) { super(\"baseline:index:Part\", name, {}, opts); this.registerOutputs({}); } }",
            `const parts = []; for (let i = 0; i < ${components}; i++) parts.push(new Part("part-" + i, i ? { parent: parts[0] } : {}));`,
            `const runs = []; for (let i = 0; i < ${customs}; i++) runs.push(new command.local.Command("run-" + i, { create: "true" }, { parent: parts[i % parts.length] }));`,
            "module.exports = { count: runs.length };",
            "",
        ].join("\n"),
    );
    return dir;
}

async function main(): Promise<void> {
    if (!toolchainReady()) throw new Error("build the toolchain first: ./scripts/pulumi-toolchain.sh");
    const runs = argument("runs", 5);
    // dist/ must be this checkout's program, or the "main from dist/" runs would measure another one.
    execFileSync("npm", ["run", "build", "--silent"], { cwd: PROJECT_ROOT, stdio: "inherit" });
    const site = await startSite();
    const session = new PulumiSession({ SSL_CERT_FILE: site.caBundle, NODE_EXTRA_CA_CERTS: site.caBundle, PALETTE_E2E_GOVC: path.join(GOVMOMI_BIN, "govc"), PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
    session.installStandIns();
    try {
        const project = copyWithCheckoutBuild(path.join(session.dir, "palette-airgap"));
        const inProject = (args: string[], input?: string) => session.run(args, { cwd: project, input });
        assertSucceeded(await session.run(["run", "--silent", "new-stack", "--", STACK, "--non-interactive", ...site.newStackFlags(STACK)], { cwd: project }, "npm"), "new-stack");
        assertSucceeded(await inProject(["stack", "select", "--create", STACK]), "stack select");
        for (const [key, value] of Object.entries(site.secrets)) assertSucceeded(await inProject(["config", "set", "--secret", key], value), `config set ${key}`);
        assertSucceeded(await inProject(["up", "--yes"]), "pulumi up");
        const exported = JSON.parse((await inProject(["stack", "export"])).stdout) as { deployment: { resources: { type: string; custom?: boolean }[] } };
        const resources = exported.deployment.resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
        const customs = resources.filter((r) => r.custom).length;
        const components = resources.length - customs;

        const baseline = baselineProject(path.join(session.dir, "baseline"), components, customs);
        const inBaseline = (args: string[]) => session.run(args, { cwd: baseline });
        assertSucceeded(await inBaseline(["stack", "select", "--create", STACK]), "baseline stack");
        assertSucceeded(await inBaseline(["up", "--yes"]), "baseline up");

        const preview = (run: (args: string[]) => ReturnType<typeof inProject>, extra: string[]) => async () =>
            assertSucceeded(await run(["preview", "--expect-no-changes", ...extra]), `preview ${extra.join(" ")}`);
        const results: Record<string, number[]> = {};
        for (let round = 0; round < runs; round++) {
            // Contenders in turn, so that the machine's drift touches each alike.
            for (const [name, run] of [
                ["ours: preview", preview(inProject, [])],
                ["baseline: preview", preview(inBaseline, [])],
                ["ours: preview --refresh", preview(inProject, ["--refresh"])],
                ["baseline: preview --refresh", preview(inBaseline, ["--refresh"])],
            ] as const) {
                (results[name] ??= []).push(...(await timed(1, run)));
            }
        }
        // The program from dist/ (compiled by npm run build) instead of index.ts through ts-node.
        const projectFile = path.join(project, "Pulumi.yaml");
        const original = fs.readFileSync(projectFile, "utf8");
        fs.writeFileSync(projectFile, original.replace(/typescript: true/, "typescript: false").replace(/^main: index\.ts$/m, "main: dist/index.js"));
        const fromDist = await inProject(["preview", "--diff"]);
        fs.writeFileSync(path.join(PROJECT_ROOT, ".cache", "enginePreview-dist-diff.txt"), fromDist.output);
        if (/to replace|to update|to create/.test(fromDist.stdout)) {
            console.log(`main from dist/ plans changes on a stack made with index.ts (details: .cache/enginePreview-dist-diff.txt); timed anyway`);
        }
        results["ours: preview, main from dist/"] = await timed(runs, async () => assertSucceeded(await inProject(["preview"]), "preview from dist/"));
        fs.writeFileSync(projectFile, original);
        assertSucceeded(await inProject(["destroy", "--yes"]), "destroy");

        const line = (name: string) => `| ${name} | ${(median(results[name]) / 1000).toFixed(2)} s | ${results[name].map((ms) => (ms / 1000).toFixed(2)).join(", ")} |`;
        console.log(`${new Date().toISOString()}; ${resources.length} resources (${components} components, ${customs} custom) besides the stack and providers; medians of ${runs}`);
        console.log("| run | median | every run |\n| --- | --- | --- |");
        for (const name of Object.keys(results)) console.log(line(name));
        const ratio = (a: string, b: string) => (median(results[a]) / median(results[b])).toFixed(2);
        console.log(`ratio preview: ${ratio("ours: preview", "baseline: preview")}x; preview --refresh: ${ratio("ours: preview --refresh", "baseline: preview --refresh")}x; dist/ vs ts-node: ${ratio("ours: preview, main from dist/", "ours: preview")}x`);
    } finally {
        await session.cleanup();
        await site.stop();
    }
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
