/**
 * OvaTemplate against a real vSphere simulator (vcsim from govmomi v0.56.0). The program runs
 * under the SDK's mock engine with a stack config pointing at vcsim; the custom resource it
 * registers (`palette-airgap:vsphere:OvaTemplateImport`) is then driven as the engine drives it:
 * the provider plugin started as an executable in an empty working directory, over gRPC, with
 * the inputs the program produced (secrets as protocol secrets).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { VsphereSoapClient } from "../../components/vsphere/soapClient";
import type { ManagedObjectRef } from "../../components/vsphere/vimTypes";
import { callPlugin, PluginProcess, secretPaths, type ProviderMethod } from "../support/plugin";
import { buildTestOva, TestOva } from "../support/ovaBuilder";
import { findResource, runStack, TEST_SECRETS } from "../support/stackHarness";
import { startVcsim, Vcsim, VCSIM_HOOK_TIMEOUT_MS } from "../support/vcsim";

type Props = Record<string, any>;
const TYPE = "palette-airgap:vsphere:OvaTemplateImport";
const FOLDER = "spectro-templates";

describe("OvaTemplate against vcsim (program under the SDK's mock engine, the provider plugin over gRPC)", function () {
    this.timeout(180_000);
    let plugin: PluginProcess;
    let vc: Vcsim;
    let client: VsphereSoapClient;
    let workDir: string;
    let ova: TestOva;

    /** The resource name and the inputs (as Check returns them) the program registers for a stack config aimed at vcsim. */
    async function programFor(overrides: Record<string, unknown> = {}): Promise<{ provider: string; inputs: Props }> {
        const run = await runStack("harbor-lab", {
            overrides: {
                vsphereServer: vc.host,
                vsphereUser: vc.username,
                vsphereCaFile: vc.caFile,
                datacenter: "DC0",
                cluster: "DC0_C0",
                datastore: "LocalDS_0",
                network: "VM Network",
                templateFolder: FOLDER,
                ovaSource: ova.path,
                ...overrides,
            },
            secrets: { vspherePassword: vc.password, registryPassword: TEST_SECRETS.registryPassword, fileServerSshPrivateKey: TEST_SECRETS.fileServerSshPrivateKey },
        });
        const [resource] = findResource(run, TYPE);
        assert.ok(resource, "the program registered no OvaTemplateImport");
        assert.deepStrictEqual(resource.secretPaths.filter((p) => p === "password"), ["password"]);
        assert.ok(!("__provider" in resource.inputs), "no code in the inputs (the state)");
        const checked = await provider<{ inputs: Props; failures: unknown[] }>("check", resource.name, {}, resource.wireInputs);
        assert.deepStrictEqual(checked.result.failures, []);
        return { provider: resource.name, inputs: checked.result.inputs };
    }

    /** One call to the plugin; the password must never be printed and must come back as a secret. */
    async function provider<T = Props>(method: ProviderMethod, name: string, ...args: unknown[]): Promise<{ result: T; output: string }> {
        const call = await callPlugin<T>(plugin, TYPE, name, method, args);
        assert.ok(!call.output.includes(vc.password), `the plugin printed the vSphere password during ${method}`);
        const result = call.result as { inputs?: Props; outs?: Props; props?: Props };
        const properties = result?.inputs ?? result?.outs ?? result?.props;
        if (properties) {
            assert.deepStrictEqual(secretPaths(properties), ["password"], `${method} returns the password as a secret, and nothing else`);
        }
        return call;
    }

    async function vmIn(folderPath: string, name: string): Promise<ManagedObjectRef | null> {
        return client.findVm("DC0", folderPath, name);
    }

    /** Names of the VMs in the templates folder (to prove a failure left nothing behind). */
    async function vmsInFolder(): Promise<string[]> {
        const folder = await client.findVmFolder("DC0", FOLDER);
        const props = await client.getProperties(folder!, ["childEntity"]);
        const children = ([] as unknown[]).concat((props.childEntity as unknown) ?? []) as ManagedObjectRef[];
        const names: string[] = [];
        for (const child of children.filter((ref) => ref.type === "VirtualMachine")) {
            names.push((await client.getVmSummary(child))!.name);
        }
        return names.sort();
    }

    before(async function () {
        this.timeout(VCSIM_HOOK_TIMEOUT_MS);
        plugin = await PluginProcess.start();
        vc = await startVcsim();
        client = await VsphereSoapClient.login(vc.connection());
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ova-template-"));
        ova = await buildTestOva(workDir, { diskBytes: 3 * 1024 * 1024, network: "nic-net" });
        const vmFolder = await client.findVmFolder("DC0");
        // Stands in for the TemplatesFolder's vsphere:index/folder:Folder, which the vSphere provider creates.
        await client.createFolder(vmFolder!, FOLDER);
        await client.createFolder(vmFolder!, "elsewhere");
    });

    after(async () => {
        if (plugin) {
            assert.ok(plugin.alive, "the plugin process ended during the tests");
            assert.ok(!plugin.transcript().includes(vc.password), "the plugin logged the vSphere password");
            await plugin.stop();
        }
        await client?.logout();
        await vc?.stop();
        fs.rmSync(workDir, { recursive: true, force: true });
    });

    describe("lifecycle", () => {
        let program: { provider: string; inputs: Props };
        let id: string;
        let state: Props;

        before(async () => {
            program = await programFor();
        });

        it("check accepts the program's inputs", async () => {
            const { result } = await provider<{ failures: unknown[] }>("check", program.provider, {}, program.inputs);
            assert.deepStrictEqual(result.failures, []);
        });

        it("create imports the OVA into the folder as the r_ template, with its sha256 recorded and progress logged", async () => {
            const { result, output } = await provider<{ id: string; outs: Props }>("create", program.provider, program.inputs);
            id = result.id;
            state = result.outs;
            assert.match(id, /^vm-/);
            assert.strictEqual(state.inventoryPath, `/DC0/vm/${FOLDER}/r_u-2204-0-k-12510-0`);
            assert.strictEqual(state.ovaSha256, ova.sha256);
            assert.match(output, /r_u-2204-0-k-12510-0: uploaded 3\.\d MiB of 3\.\d MiB \(100%\) at [\d.]+ MiB\/s/);
            const vm = await vmIn(FOLDER, "r_u-2204-0-k-12510-0");
            assert.ok(vm, "no template at the inventory path");
            assert.strictEqual(vm.value, id);
            const summary = (await client.getVmSummary(vm))!;
            assert.strictEqual(summary.template, true, "config.template");
            assert.ok(summary.annotation.includes(`palette-airgap:ova-sha256=${ova.sha256}`), summary.annotation);
            assert.ok(!JSON.stringify(state).includes("importing"), "the staging name leaked into the state");
        });

        it("read of an untouched template reports no drift", async () => {
            const { result } = await provider<{ id: string; props: Props }>("read", program.provider, id, state);
            assert.strictEqual(result.id, id);
            state = result.props;
            const diff = await provider<{ changes: boolean }>("diff", program.provider, id, state, program.inputs);
            assert.strictEqual(diff.result.changes, false);
        });

        it("a rename behind Pulumi's back is seen by read, and update renames it back", async () => {
            await client.rename({ type: "VirtualMachine", value: id }, "renamed-by-hand");
            const read = await provider<{ props: Props }>("read", program.provider, id, state);
            assert.strictEqual(read.result.props.observedName, "renamed-by-hand");
            const diff = await provider<{ changes: boolean; replaces: string[] }>("diff", program.provider, id, read.result.props, program.inputs);
            assert.deepStrictEqual([diff.result.changes, diff.result.replaces], [true, []]);
            const update = await provider<{ outs: Props }>("update", program.provider, id, read.result.props, program.inputs);
            assert.strictEqual(update.result.outs.observedName, "r_u-2204-0-k-12510-0");
            assert.ok(await vmIn(FOLDER, "r_u-2204-0-k-12510-0"));
            state = update.result.outs;
        });

        it("a move out of the folder behind Pulumi's back is seen by read, and update moves it back", async () => {
            const elsewhere = await client.findVmFolder("DC0", "elsewhere");
            await client.moveIntoFolder(elsewhere!, [{ type: "VirtualMachine", value: id }]);
            const read = await provider<{ props: Props }>("read", program.provider, id, state);
            assert.strictEqual(read.result.props.observedFolderPath, "/DC0/vm/elsewhere");
            const diff = await provider<{ changes: boolean; replaces: string[] }>("diff", program.provider, id, read.result.props, program.inputs);
            assert.deepStrictEqual([diff.result.changes, diff.result.replaces], [true, []]);
            await provider("update", program.provider, id, read.result.props, program.inputs);
            assert.ok(await vmIn(FOLDER, "r_u-2204-0-k-12510-0"), "not moved back");
            assert.strictEqual(await vmIn("elsewhere", "r_u-2204-0-k-12510-0"), null);
        });

        it("a template turned back into a VM is seen by read, and update marks it again", async () => {
            const pool = await client.findClusterResourcePool("DC0", "DC0_C0");
            await client.markAsVirtualMachine({ type: "VirtualMachine", value: id }, pool!);
            const read = await provider<{ props: Props }>("read", program.provider, id, state);
            assert.strictEqual(read.result.props.observedIsTemplate, false);
            await provider("update", program.provider, id, read.result.props, program.inputs);
            assert.strictEqual((await client.getVmSummary({ type: "VirtualMachine", value: id }))!.template, true);
        });

        it("a new name in the config is a rename in place, not a replacement", async () => {
            const renamed = await programFor({ templateName: "r_ubuntu-k8s-1.25" });
            const read = await provider<{ props: Props }>("read", program.provider, id, state);
            const diff = await provider<{ changes: boolean; replaces: string[] }>("diff", renamed.provider, id, read.result.props, renamed.inputs);
            assert.deepStrictEqual([diff.result.changes, diff.result.replaces], [true, []]);
            const update = await provider<{ outs: Props }>("update", renamed.provider, id, read.result.props, renamed.inputs);
            assert.strictEqual(update.result.outs.inventoryPath, `/DC0/vm/${FOLDER}/r_ubuntu-k8s-1.25`);
            state = (await provider<{ outs: Props }>("update", program.provider, id, update.result.outs, program.inputs)).result.outs;
            assert.strictEqual(state.observedName, "r_u-2204-0-k-12510-0");
        });

        it("a new OVA, folder or datastore is a replacement, created before the old one is deleted", async () => {
            for (const change of [{ source: "/srv/other.ova" }, { expectedSha256: "a".repeat(64) }, { folderPath: "elsewhere" }, { datastore: "LocalDS_1" }]) {
                const diff = await provider<{ replaces: string[]; deleteBeforeReplace: boolean }>("diff", program.provider, id, state, { ...program.inputs, ...change });
                assert.deepStrictEqual(diff.result.replaces, Object.keys(change), JSON.stringify(change));
                assert.strictEqual(diff.result.deleteBeforeReplace, false);
            }
        });

        it("the replacement takes the name once imported; the old template is renamed aside and deleted by id", async () => {
            const created = await provider<{ id: string; outs: Props }>("create", program.provider, program.inputs);
            assert.notStrictEqual(created.result.id, id);
            const byName = await vmIn(FOLDER, "r_u-2204-0-k-12510-0");
            assert.strictEqual(byName?.value, created.result.id, "the new template does not hold the name");
            await provider("delete", program.provider, id, state);
            assert.strictEqual(await client.getVmSummary({ type: "VirtualMachine", value: id }), null, "old template not destroyed");
            assert.deepStrictEqual(await vmsInFolder(), ["r_u-2204-0-k-12510-0"]);
            id = created.result.id;
            state = created.result.outs;
        });

        it("delete destroys the template, delete again counts as deleted, read then reports it gone", async () => {
            const deleted = await provider("delete", program.provider, id, state);
            assert.match(deleted.output, /destroyed/);
            assert.strictEqual(await vmIn(FOLDER, "r_u-2204-0-k-12510-0"), null);
            const again = await provider("delete", program.provider, id, state);
            assert.match(again.output, /already gone/);
            const read = await provider<{ id?: string }>("read", program.provider, id, state);
            assert.strictEqual(read.result.id, undefined);
        });
    });

    describe("failures", () => {
        it("a corrupt disk (manifest mismatch) aborts the import and leaves no VM behind", async () => {
            const corrupt = await buildTestOva(path.join(workDir, "corrupt"), { diskBytes: 2 * 1024 * 1024, corruptDisk: true, network: "nic-net" });
            const program = await programFor({ ovaSource: corrupt.path });
            await assert.rejects(provider("create", program.provider, program.inputs), (error: Error) => {
                assert.match(error.message, new RegExp(corrupt.diskName.replace(/\./g, "\\.")));
                assert.match(error.message, /[0-9a-f]{64}[\s\S]*[0-9a-f]{64}/, "both digests");
                return true;
            });
            assert.deepStrictEqual(await vmsInFolder(), []);
        });

        it("a whole-file sha256 mismatch aborts before completing, naming both digests, and leaves no VM", async () => {
            const wrong = "b".repeat(64);
            const program = await programFor({ ovaSha256: wrong });
            await assert.rejects(provider("create", program.provider, program.inputs), (error: Error) => error.message.includes(wrong) && error.message.includes(ova.sha256));
            assert.deepStrictEqual(await vmsInFolder(), []);
        });

        it("wrong credentials give a clear error without the password", async () => {
            const program = await programFor();
            const wrongPassword = "Wrong-Pa55-XYZ";
            await assert.rejects(provider("create", program.provider, { ...program.inputs, password: wrongPassword }), (error: Error) => {
                assert.match(error.message, /InvalidLogin|incorrect user name or password/i);
                assert.ok(!error.message.includes(wrongPassword));
                return true;
            });
        });

        it("a missing folder, datastore and network are each named with their config key", async () => {
            const program = await programFor({ templateFolder: "no-such-folder", datastore: "no-such-ds", network: "no-such-net" });
            await assert.rejects(provider("create", program.provider, program.inputs), (error: Error) => {
                assert.match(error.message, /folder \/DC0\/vm\/no-such-folder \(config key templateFolder/);
                assert.match(error.message, /datastore "no-such-ds" \(config key datastore\)/);
                assert.match(error.message, /network "no-such-net" \(config key network\)/);
                return true;
            });
        });

        it("a VM of the same name that palette-airgap did not import stops the import before it starts", async () => {
            const program = await programFor({ templateName: "r_hand-made" });
            const created = await provider<{ id: string; outs: Props }>("create", program.provider, program.inputs);
            await client.setAnnotation({ type: "VirtualMachine", value: created.result.id }, "made by hand");
            await assert.rejects(provider("create", program.provider, program.inputs), /already exists in \/DC0\/vm\/spectro-templates and was not imported by palette-airgap/);
            await provider("delete", program.provider, created.result.id, created.result.outs);
            assert.deepStrictEqual(await vmsInFolder(), []);
        });
    });

    it("an OVA served over HTTP from 127.0.0.1 imports the same as the local file", async () => {
        const server = http.createServer((request, response) => {
            if (request.url !== "/mirror/u-2204-0-k-12510-0.ova") {
                response.writeHead(404).end();
                return;
            }
            response.writeHead(200, { "Content-Length": String(ova.size), "Content-Type": "application/octet-stream" });
            fs.createReadStream(ova.path).pipe(response);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror/u-2204-0-k-12510-0.ova`;
            const program = await programFor({ ovaSource: url, ovaSha256: ova.sha256 });
            assert.strictEqual(program.inputs.templateName, "r_u-2204-0-k-12510-0");
            const created = await provider<{ id: string; outs: Props }>("create", program.provider, program.inputs);
            assert.strictEqual(created.result.outs.ovaSha256, ova.sha256);
            assert.strictEqual((await client.getVmSummary({ type: "VirtualMachine", value: created.result.id }))!.template, true);
            await provider("delete", program.provider, created.result.id, created.result.outs);
        } finally {
            server.close();
        }
    });
});
