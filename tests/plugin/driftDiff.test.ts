/**
 * Diff as `pulumi preview --refresh` drives it: the engine calls Read, then Diff with the
 * refreshed state as `olds` and the program's inputs as `news`. Each changed or drifted property
 * must reach the engine in the DiffResponse's `diffs` and `detailedDiff` with its kind, or the
 * preview says "update" without saying what changed. Every observed property of every custom
 * resource of the plugin is tested over gRPC against the plugin process: the Harbor project and
 * the validation run after a real Read (Harbor stand-in, a file server that is not there), the
 * OVA template with the state its Read returns for each drift vCenter can show (vcsim is covered
 * in tests/vsphere).
 */
import * as assert from "assert";
import * as net from "net";
import { startHarborStandIn, type HarborStandIn } from "../support/harborStandIn";
import { PluginProcess, type DiffCallResult } from "../support/plugin";
import { wireSecret } from "../support/secretWire";
import { requireSharedFile } from "../support/sharedFiles";

const OVA_TEMPLATE = "palette-airgap:vsphere:OvaTemplateImport";
const HARBOR_PROJECT = "palette-airgap:registry:HarborProject";
const VALIDATION_RUN = "palette-airgap:validate:ValidationRun";

type Props = Record<string, unknown>;

/** What the engine reads of a DiffResponse, in one comparable value. */
function summary(diff: DiffCallResult): Props {
    return { changes: diff.changes, detailedDiff: diff.detailedDiff, diffs: [...diff.diffs].sort(), replaces: [...diff.replaces].sort(), hasDetailedDiff: diff.hasDetailedDiff };
}

function expected(changes: "some" | "none", detailedDiff: Record<string, string>): Props {
    return {
        changes,
        detailedDiff,
        diffs: Object.keys(detailedDiff).sort(),
        replaces: Object.keys(detailedDiff).filter((key) => detailedDiff[key].endsWith("_REPLACE")).sort(),
        hasDetailedDiff: true,
    };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

describe("provider plugin: Diff names every changed or drifted property on the wire", function () {
    this.timeout(60_000);
    let plugin: PluginProcess;

    before(async function () {
        plugin = await PluginProcess.start();
    });

    after(async function () {
        await plugin?.stop();
    });

    describe("OvaTemplateImport: each drift its Read can report", function () {
        const inputs: Props = {
            server: "vcenter.lab.internal", user: "administrator@vsphere.local", password: wireSecret("vc-Pa55-DRIFT"), allowUnverifiedSsl: false,
            datacenter: "DC0", folderPath: "spectro-templates", datastore: "LocalDS_0", network: "VM Network", cluster: "DC0_C0",
            source: "/srv/ova/u-2204-0-k-12510-0.ova", templateName: "r_u-2204-0-k-12510-0", markAsTemplate: true, diskProvisioning: "thin",
        };
        const sha = "a".repeat(64);
        /** The state Read returns for an untouched template. */
        const refreshed: Props = {
            ...inputs, moid: "vm-42", inventoryPath: "/DC0/vm/spectro-templates/r_u-2204-0-k-12510-0", ovaSha256: sha,
            observedName: "r_u-2204-0-k-12510-0", observedFolderPath: "/DC0/vm/spectro-templates", observedIsTemplate: true, observedOvaSha256: sha,
        };
        const diff = async (olds: Props, news: Props = inputs) => summary((await plugin.diff(OVA_TEMPLATE, "template", "vm-42", olds, news)).result);

        it("no drift: DIFF_NONE and no property named", async function () {
            assert.deepStrictEqual(await diff(refreshed), expected("none", {}));
        });

        it("a template turned back into a VM (observedIsTemplate false): markAsTemplate and observedIsTemplate, UPDATE", async function () {
            assert.deepStrictEqual(await diff({ ...refreshed, observedIsTemplate: false }), expected("some", { observedIsTemplate: "UPDATE", markAsTemplate: "UPDATE" }));
        });

        it("a template renamed by hand (observedName): templateName and observedName, UPDATE", async function () {
            assert.deepStrictEqual(await diff({ ...refreshed, observedName: "renamed-by-hand" }), expected("some", { observedName: "UPDATE", templateName: "UPDATE" }));
        });

        it("a template moved out of its folder (observedFolderPath): folderPath and observedFolderPath, UPDATE", async function () {
            assert.deepStrictEqual(
                await diff({ ...refreshed, observedFolderPath: "/DC0/vm/elsewhere" }),
                expected("some", { observedFolderPath: "UPDATE", folderPath: "UPDATE" }),
            );
        });

        it("another OVA behind the template's name (observedOvaSha256): source and observedOvaSha256, UPDATE_REPLACE", async function () {
            assert.deepStrictEqual(
                await diff({ ...refreshed, observedOvaSha256: "b".repeat(64) }),
                expected("some", { observedOvaSha256: "UPDATE_REPLACE", source: "UPDATE_REPLACE" }),
            );
        });

        it("input changes: a replacing input is UPDATE_REPLACE, an in-place one UPDATE, a new one ADD, a removed one DELETE (and _REPLACE when it replaces)", async function () {
            assert.deepStrictEqual(await diff(refreshed, { ...inputs, source: "/srv/ova/other.ova" }), expected("some", { source: "UPDATE_REPLACE" }));
            assert.deepStrictEqual(await diff(refreshed, { ...inputs, password: wireSecret("vc-Pa55-NEW") }), expected("some", { password: "UPDATE" }));
            assert.deepStrictEqual(await diff(refreshed, { ...inputs, caFile: "/etc/palette-airgap/vcenter-ca.pem" }), expected("some", { caFile: "ADD" }));
            assert.deepStrictEqual(await diff({ ...refreshed, caFile: "/etc/palette-airgap/vcenter-ca.pem" }), expected("some", { caFile: "DELETE" }));
            const { cluster: _cluster, ...withoutCluster } = inputs;
            assert.deepStrictEqual(
                await diff(refreshed, { ...withoutCluster, resourcePool: "DC0_C0/Resources/palette" }),
                expected("some", { cluster: "DELETE_REPLACE", resourcePool: "ADD_REPLACE" }),
            );
        });
    });

    describe("HarborProject: Read against the Harbor stand-in, then Diff", function () {
        let harbor: HarborStandIn;
        const PASSWORD = "harbor-Pa55-DRIFT";

        before(async function () {
            const swaggerFile = requireSharedFile(this, "schemas/harbor-swagger-v2.15.2.yaml");
            harbor = await startHarborStandIn({ swaggerFile, username: "admin", password: PASSWORD });
        });

        after(async function () {
            await harbor?.stop();
        });

        async function created(projectName: string): Promise<{ id: string; inputs: Props; state: Props }> {
            const inputs = { endpoint: harbor.endpoint, username: "admin", password: wireSecret(PASSWORD), caFile: harbor.caFile, projectName, public: false };
            const checked = await plugin.check(HARBOR_PROJECT, projectName, {}, inputs);
            const create = await plugin.create(HARBOR_PROJECT, projectName, checked.wire);
            return { id: create.result.id, inputs: checked.wire, state: create.wire };
        }

        it("a project made public in Harbor: public, UPDATE", async function () {
            const project = await created("drift-public");
            harbor.setPublic("drift-public", true);
            const read = await plugin.read(HARBOR_PROJECT, "drift-public", project.id, project.state, project.inputs);
            const diff = await plugin.diff(HARBOR_PROJECT, "drift-public", project.id, read.wire, project.inputs);
            assert.deepStrictEqual(summary(diff.result), expected("some", { public: "UPDATE" }));
        });

        it("an untouched project: DIFF_NONE; another name or Harbor: UPDATE_REPLACE, deleted first; a CA file dropped: DELETE", async function () {
            const project = await created("drift-none");
            const read = await plugin.read(HARBOR_PROJECT, "drift-none", project.id, project.state, project.inputs);
            const diff = (news: Props) => plugin.diff(HARBOR_PROJECT, "drift-none", project.id, read.wire, news).then((call) => call.result);
            assert.deepStrictEqual(summary(await diff(project.inputs)), expected("none", {}));
            const renamed = await diff({ ...project.inputs, projectName: "drift-renamed" });
            assert.deepStrictEqual(summary(renamed), expected("some", { projectName: "UPDATE_REPLACE" }));
            assert.strictEqual(renamed.deleteBeforeReplace, true);
            const { caFile: _caFile, ...withoutCa } = project.inputs;
            assert.deepStrictEqual(summary(await diff(withoutCa)), expected("some", { caFile: "DELETE" }));
        });

        it("a project deleted in Harbor: Read returns no id (the engine drops it and plans its creation; no Diff follows)", async function () {
            const project = await created("drift-deleted");
            harbor.removeProject("drift-deleted");
            const read = await plugin.read(HARBOR_PROJECT, "drift-deleted", project.id, project.state, project.inputs);
            assert.strictEqual(read.result.id, "");
        });
    });

    describe("ValidationRun: Read runs the checks again, then Diff", function () {
        it("a check that fails on refresh (the file server gone): passed and report, UPDATE; an input change is named too", async function () {
            const inputs = { scarUrl: `http://127.0.0.1:${await closedPort()}` };
            const checked = await plugin.check(VALIDATION_RUN, "checks", {}, inputs);
            // The state of the last passing run (create): as the engine stored it.
            const state = { ...checked.wire, report: ["ok   manifests: versions.yaml served"], passed: true };
            const read = await plugin.read(VALIDATION_RUN, "checks", "validation-1", state, checked.wire);
            assert.strictEqual(read.result.props.passed, false, read.output);
            const drift = await plugin.diff(VALIDATION_RUN, "checks", "validation-1", read.wire, checked.wire);
            assert.deepStrictEqual(summary(drift.result), expected("some", { passed: "UPDATE", report: "UPDATE" }));
            const changed = await plugin.diff(VALIDATION_RUN, "checks", "validation-1", state, { ...checked.wire, triggers: '["/tmp/spectro-manifests-2.zip"]' });
            assert.deepStrictEqual(summary(changed.result), expected("some", { triggers: "ADD" }));
            const unchanged = await plugin.diff(VALIDATION_RUN, "checks", "validation-1", state, checked.wire);
            assert.deepStrictEqual(summary(unchanged.result), expected("none", {}));
        });
    });
});
