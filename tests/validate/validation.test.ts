/**
 * Validation: the component is instantiated under the SDK's mock engine; the ValidationRun it
 * registers is then driven as the engine drives it (the provider plugin started as an
 * executable in an empty directory, over gRPC, with the inputs the engine received) against
 * real local services: a file server with the manifests, docker-registry (TLS + htpasswd) with
 * an image under each base, and vcsim with the r_ template.
 * Debian packages: docker-registry, apache2-utils, openssl, skopeo; vcsim from scripts/toolchain/govmomi (Go >= 1.25).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Validation } from "../../components/validate/validation";
import type { ValidationOutputs } from "../../components/validate/validationProvider";
import { importOvaTemplate } from "../../components/vsphere/ovaImport";
import { one, runComponents, valueOf, type ComponentRunOptions, type Registration } from "../support/componentMocks";
import { callPlugin, PluginProcess, secretPaths, unwrapSecrets, type ProviderMethod } from "../support/plugin";
import { ociPusher, skopeoAvailable } from "../support/ociPush";
import { buildTestOva } from "../support/ovaBuilder";
import { registryAvailable, startRegistry, type TestRegistry } from "../support/registry";
import { startStaticFileServer, writeManifestsTree, type StaticFileServer } from "../support/staticFileServer";
import { startVcsim, withVcsimClient, type Vcsim, VCSIM_HOOK_TIMEOUT_MS } from "../support/vcsim";

const TYPE = "palette-airgap:validate:ValidationRun";
const FOLDER = "spectro-templates";
const TEMPLATE = "r_u-2204-0-k-12510-0";
type Props = Record<string, any>;

// Record additionalSecretOutputs of each registration (componentMocks records the rest).
const secretOutputs = new Map<string, string[]>();
const mocksModule = require("@pulumi/pulumi/runtime/mocks");
const previousRegister = mocksModule.MockMonitor.prototype.registerResource;
mocksModule.MockMonitor.prototype.registerResource = function (req: any, callback: any) {
    secretOutputs.set(req.getName(), req.getAdditionalsecretoutputsList());
    return previousRegister.call(this, req, callback);
};

describe("Validation: ValidationRun through the provider plugin (gRPC) against real services", function () {
    this.timeout(300_000);
    let plugin: PluginProcess;
    let root: string;
    let files: StaticFileServer;
    let registry: TestRegistry;
    let pusher: ReturnType<typeof ociPusher>;
    let vc: Vcsim;
    let work: string;
    let templateMoid: string;
    /** Everything the provider printed, its reports and errors, searched for the passwords at the end. */
    const transcript: string[] = [];
    /** What the provider printed during the last successful call. */
    let lastOutput = "";
    const versionsFile = () => path.join(root, "roar", "nickfury", "versions.yaml");

    before(async function () {
        if (!registryAvailable() || !skopeoAvailable()) {
            const message = "docker-registry, apache2-utils, openssl and skopeo are needed (apt-get install them)";
            if (process.env.CI) throw new Error(message);
            console.warn(`    skipped: ${message}`);
            this.skip();
        }
        this.timeout(VCSIM_HOOK_TIMEOUT_MS);
        plugin = await PluginProcess.start();
        root = fs.mkdtempSync(path.join(os.tmpdir(), "validation-manifests-"));
        writeManifestsTree(root, ["4.2.13", "4.3.0"]);
        files = await startStaticFileServer(root);
        registry = await startRegistry();
        pusher = ociPusher(registry);
        pusher.push("spectro-packs/cni-calico:3.25.1");
        pusher.push("spectro-images/docker.io/kindest/kindnetd:v20230227-15197099");
        vc = await startVcsim();
        work = fs.mkdtempSync(path.join(os.tmpdir(), "validation-ova-"));
        const ova = await buildTestOva(work, { diskBytes: 1024 * 1024, network: "nic-net" });
        await withVcsimClient(vc, async (client) => client.createFolder((await client.findVmFolder("DC0"))!, FOLDER));
        const imported = await importOvaTemplate(
            {
                connection: vc.connection(),
                source: ova.path,
                datacenter: "DC0",
                folderPath: FOLDER,
                datastore: "LocalDS_0",
                network: "VM Network",
                cluster: "DC0_C0",
                templateName: TEMPLATE,
                markAsTemplate: true,
                diskProvisioning: "thin",
            },
            () => undefined,
        );
        templateMoid = imported.moid;
    });

    after(async function () {
        if (plugin) {
            transcript.push(plugin.transcript());
            assert.ok(plugin.alive, "the plugin process ended during the tests");
            await plugin.stop();
        }
        pusher?.cleanup();
        await files?.stop();
        await registry?.stop();
        await vc?.stop();
        for (const dir of [root, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
        if (registry && vc) {
            const all = transcript.join("\n");
            assert.ok(!all.includes(registry.password), "the registry password appeared in the provider's output");
            assert.ok(!all.includes(vc.password), "the vSphere password appeared in the provider's output");
        }
    });

    /** The ValidationRun the component registers for these services (scarUrl overridable). */
    async function program(scarUrl = files.url, options: ComponentRunOptions = {}): Promise<{ registration: Registration; provider: string; inputs: Props; component: Validation }> {
        const { value: component, registrations } = await runComponents(() =>
            new Validation("palette-validation", {
                scarUrl,
                registry: {
                    kind: "generic",
                    endpoint: registry.endpoint,
                    username: registry.username,
                    password: pulumi.secret(registry.password),
                    caFile: registry.caFile,
                },
                template: {
                    server: vc.url,
                    user: vc.username,
                    password: pulumi.secret(vc.password),
                    caFile: vc.caFile,
                    datacenter: "DC0",
                    folderPath: FOLDER,
                    templateName: TEMPLATE,
                },
                triggers: ["/tmp/spectro-manifests-1732550000.zip"],
            }),
            options,
        );
        const registration = one(registrations, TYPE);
        assert.ok(!("__provider" in registration.inputs), "the inputs (the state) hold no code");
        return { registration, provider: registration.name, inputs: registration.wireInputs, component };
    }

    /** One call to the plugin (`provider` is the resource's name); properties stay in their wire form. */
    async function call<T = Props>(provider: string, method: ProviderMethod, ...args: unknown[]): Promise<T> {
        try {
            const { result, output } = await callPlugin<T>(plugin, TYPE, provider, method, args);
            // The logs and the reports (the state itself holds the inputs, passwords included, as secrets).
            const outputs = (result as { outs?: Props; props?: Props } | null)?.outs ?? (result as { props?: Props } | null)?.props;
            transcript.push(output, JSON.stringify(outputs?.report ?? []));
            lastOutput = output;
            return result;
        } catch (error) {
            transcript.push((error as Error).message, String((error as { output?: string }).output ?? ""));
            throw error;
        }
    }

    async function rejection(promise: Promise<unknown>): Promise<string> {
        try {
            await promise;
        } catch (error) {
            return (error as Error).message;
        }
        assert.fail("expected the call to fail");
    }

    it("registers palette-airgap:validate:Validation with a ValidationRun whose passwords are secret and which holds no code", async function () {
        const { registration } = await program();
        assert.strictEqual(registration.type, TYPE);
        assert.strictEqual(registration.custom, true);
        assert.deepStrictEqual(registration.secretPaths.sort(), ["registryPassword", "vspherePassword"]);
        // The images registry's password too, when a stack has one (a separate images registry).
        assert.deepStrictEqual(secretOutputs.get("palette-validation")?.sort(), ["imageRegistryPassword", "registryPassword", "vspherePassword"]);
        assert.strictEqual(registration.inputs.triggers, '["/tmp/spectro-manifests-1732550000.zip"]');
        assert.strictEqual(registration.inputs.packBase, "spectro-packs");
        assert.strictEqual(registration.inputs.imageBase, "spectro-images");
    });

    describe("lifecycle", function () {
        let provider: string;
        let inputs: Props;
        let id: string;
        let state: ValidationOutputs;

        before(async function () {
            ({ provider, inputs } = await program());
            const checked = await call<{ inputs: Props; failures?: unknown[] }>(provider, "check", {}, inputs);
            assert.deepStrictEqual(checked.failures, []);
            assert.deepStrictEqual(secretPaths(checked.inputs).sort(), ["registryPassword", "vspherePassword"], "check returns the passwords as secrets");
            inputs = checked.inputs;
        });

        it("create runs every check and records the report", async function () {
            const created = await call<{ id: string; outs: ValidationOutputs }>(provider, "create", inputs);
            id = created.id;
            state = created.outs;
            assert.deepStrictEqual(secretPaths(state).sort(), ["registryPassword", "vspherePassword"], "create returns the passwords as secrets");
            assert.match(id, /^validation-/);
            assert.strictEqual(state.passed, true);
            assert.strictEqual(state.report.length, 3);
            assert.strictEqual(state.report[0], `ok   manifests: 2 versions (4.2.13, 4.3.0) at ${files.url}/roar/nickfury/versions.yaml`);
            assert.strictEqual(state.report[1], `ok   registry: spectro-packs: 1 repository, spectro-images: 1 repository (2 repositories in the catalog of ${registry.endpoint})`);
            assert.strictEqual(state.report[2], `ok   template: ${TEMPLATE} (${templateMoid}) is a template in /DC0/vm/${FOLDER}`);
            for (const reportLine of state.report) {
                assert.ok(lastOutput.includes(`validation: ${reportLine}`), `the provider logs each report line:\n${lastOutput}`);
            }
            const diff = await call<{ changes: boolean }>(provider, "diff", id, state, inputs);
            assert.strictEqual(diff.changes, false);
        });

        it("read reflects versions.yaml removed behind its back, and diff reports the change", async function () {
            const saved = fs.readFileSync(versionsFile());
            fs.rmSync(versionsFile());
            try {
                const read = await call<{ id: string; props: ValidationOutputs }>(provider, "read", id, state);
                assert.strictEqual(read.id, id);
                assert.strictEqual(read.props.passed, false);
                assert.strictEqual(read.props.report[0], `FAIL manifests: GET ${files.url}/roar/nickfury/versions.yaml: HTTP 404: unzip the spectro-manifests zip so that roar/ is at the web root`);
                assert.ok(read.props.report[1].startsWith("ok   registry:") && read.props.report[2].startsWith("ok   template:"));
                assert.strictEqual((unwrapSecrets(read.props) as Props).registryPassword, registry.password, "the state keeps the inputs");
                assert.deepStrictEqual(secretPaths(read.props).sort(), ["registryPassword", "vspherePassword"], "read returns the passwords as secrets");
                const diff = await call<{ changes: boolean; replaces: string[] }>(provider, "diff", id, read.props, inputs);
                assert.deepStrictEqual([diff.changes, diff.replaces], [true, []]);
                const update = await rejection(call(provider, "update", id, read.props, inputs));
                assert.match(update, /^validation failed \(1 of 3 checks\):\nFAIL manifests: GET .*HTTP 404.*\nok   registry: .*\nok   template: /);
                state = read.props;
            } finally {
                fs.writeFileSync(versionsFile(), saved);
            }
            const healed = await call<{ props: ValidationOutputs }>(provider, "read", id, state);
            assert.strictEqual(healed.props.passed, true);
            const diff = await call<{ changes: boolean }>(provider, "diff", id, healed.props, inputs);
            assert.strictEqual(diff.changes, false);
            state = healed.props;
        });

        it("read reflects the template turned back into a VM; update passes once it is a template again", async function () {
            const vm = { type: "VirtualMachine", value: templateMoid };
            await withVcsimClient(vc, async (client) => client.markAsVirtualMachine(vm, (await client.findClusterResourcePool("DC0", "DC0_C0"))!));
            const read = await call<{ props: ValidationOutputs }>(provider, "read", id, state);
            assert.strictEqual(read.props.passed, false);
            assert.strictEqual(read.props.report[2], `FAIL template: ${TEMPLATE} (${templateMoid}) in /DC0/vm/${FOLDER} is a VM, not a template (mark it as a template)`);
            assert.strictEqual((await call<{ changes: boolean }>(provider, "diff", id, read.props, inputs)).changes, true);
            await withVcsimClient(vc, (client) => client.markAsTemplate(vm));
            const updated = await call<{ outs: ValidationOutputs }>(provider, "update", id, read.props, inputs);
            assert.strictEqual(updated.outs.passed, true);
            assert.ok(updated.outs.report.every((l) => l.startsWith("ok ")), updated.outs.report.join("\n"));
            state = updated.outs;
        });

        it("a changed input (triggers) is a change; delete has nothing to do", async function () {
            const diff = await call<{ changes: boolean; replaces: string[] }>(provider, "diff", id, state, { ...inputs, triggers: '["/tmp/spectro-manifests-1732559999.zip"]' });
            assert.deepStrictEqual([diff.changes, diff.replaces], [true, []]);
            await call(provider, "delete", id, state);
        });
    });

    it("create fails with the whole report when a check fails", async function () {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "validation-empty-"));
        const emptyServer = await startStaticFileServer(empty);
        try {
            const { provider, inputs } = await program(emptyServer.url);
            const message = await rejection(call(provider, "create", inputs));
            assert.strictEqual(
                message.split("\n").slice(0, 2).join("\n"),
                `validation failed (1 of 3 checks):\nFAIL manifests: GET ${emptyServer.url}/roar/nickfury/versions.yaml: HTTP 404: unzip the spectro-manifests zip so that roar/ is at the web root`,
            );
            assert.match(message, /\nok   registry: spectro-packs: 1 repository, spectro-images: 1 repository .*\nok   template: /);
        } finally {
            await emptyServer.stop();
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("check reports missing and invalid inputs by property, never echoing a password", async function () {
        const { provider } = await program();
        const result = await call<{ failures?: { property: string; reason: string }[] }>(provider, "check", {}, {
            scarUrl: "10.10.100.50:8080",
            registryKind: "generic",
            registryEndpoint: registry.endpoint,
            registryPassword: registry.password,
            vsphereServer: vc.url,
            vspherePassword: vc.password,
            datacenter: "DC0",
            templateFolder: FOLDER,
            templateName: "u-2204",
        });
        assert.deepStrictEqual((result.failures ?? []).map((f) => f.property).sort(), ["registryUsername", "scarUrl", "templateName", "vsphereUser"]);
        const reasons = JSON.stringify(result.failures);
        assert.ok(!reasons.includes(registry.password) && !reasons.includes(vc.password), reasons);
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const preview = await call<{ failures?: unknown[] }>(provider, "check", {}, { scarUrl: unknown, vsphereServer: unknown, vsphereUser: "u", vspherePassword: unknown, datacenter: "DC0", templateFolder: unknown, templateName: unknown });
        assert.deepStrictEqual(preview.failures, [], "values unknown during preview are not failures");
    });

    it("the component's report and passed outputs are the run's", async function () {
        const report = ["ok   manifests: 1 version (4.2.13) at http://x/roar/nickfury/versions.yaml"];
        const { component } = await program(files.url, {
            newResource: (args) => ({ id: `${args.name}-id`, state: args.type === TYPE ? { ...args.inputs, report, passed: true } : { ...args.inputs } }),
        });
        assert.deepStrictEqual(await valueOf(component.report), report);
        assert.strictEqual(await valueOf(component.passed), true);
    });
});
