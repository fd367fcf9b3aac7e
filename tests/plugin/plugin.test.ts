/**
 * The provider plugin itself, started exactly as the engine starts it (the executable, with the
 * engine's address as its argument, the port read from its stdout) in an empty working
 * directory, and driven over gRPC with the SDK's generated stubs: the protocol handshake, the
 * plugin's own errors (bad inputs to Check, a crash inside a call), and refresh and delete from a
 * working directory that is not the project's (the state holds no code).
 * The resources' full lifecycles against real services are in tests/vsphere, tests/registry and
 * tests/validate.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startHarborStandIn, type HarborStandIn } from "../support/harborStandIn";
import { PluginProcess, PROJECT_ROOT, secretPaths } from "../support/plugin";
import { wireSecret } from "../support/secretWire";
import { requireSharedFile } from "../support/sharedFiles";

const OVA_TEMPLATE = "palette-airgap:vsphere:OvaTemplateImport";
const HARBOR_PROJECT = "palette-airgap:registry:HarborProject";
const VALIDATION_RUN = "palette-airgap:validate:ValidationRun";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("provider plugin: started as the engine starts it, over gRPC", function () {
    this.timeout(120_000);
    let plugin: PluginProcess;

    before(async function () {
        plugin = await PluginProcess.start();
    });

    after(async function () {
        await plugin?.stop();
    });

    describe("handshake", function () {
        it("prints its port, and reports the package's version", async function () {
            assert.ok(plugin.port > 0);
            const version = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version;
            assert.strictEqual(await plugin.getPluginInfo(), version);
        });

        it("Configure accepts secrets, resources and outputs; CheckConfig is not implemented (the package has no provider configuration), which the engine accepts", async function () {
            assert.deepStrictEqual(await plugin.configure({}), { acceptSecrets: true, acceptResources: true, acceptOutputs: true });
            await assert.rejects(plugin.checkConfig({ version: "0.1.0" }), (error: Error & { code?: number }) => error.code === 12 /* UNIMPLEMENTED */);
        });
    });

    describe("Check names the property and the fix", function () {
        async function failures(type: string, news: Record<string, unknown>): Promise<Record<string, string>> {
            const { result } = await plugin.check(type, "bad", {}, news);
            return Object.fromEntries(result.failures.map((failure) => [failure.property, failure.reason]));
        }

        const goodTemplate = {
            server: "vcenter.lab.internal",
            user: "administrator@vsphere.local",
            password: wireSecret("vc-Pa55-CHECK"),
            datacenter: "dc-lab",
            folderPath: "spectro-templates",
            datastore: "vsanDatastore",
            network: "VM Network",
            cluster: "cluster-a",
            source: "/srv/ova/u-2204-0-k-12510-0.ova",
            templateName: "r_u-2204-0-k-12510-0",
        };

        it("OvaTemplateImport: valid inputs pass, with the defaults applied and the password returned as a secret", async function () {
            const { result, wire } = await plugin.check(OVA_TEMPLATE, "good", {}, goodTemplate);
            assert.deepStrictEqual(result.failures, []);
            assert.deepStrictEqual([result.inputs.allowUnverifiedSsl, result.inputs.markAsTemplate, result.inputs.diskProvisioning], [false, true, "thin"]);
            assert.deepStrictEqual(secretPaths(wire), ["password"]);
        });

        it("OvaTemplateImport: each bad value is reported with the rule of the stack configuration", async function () {
            const reasons = await failures(OVA_TEMPLATE, {
                ...goodTemplate,
                server: "https://vcenter.lab.internal/sdk",
                folderPath: "/spectro-templates/",
                source: "ova/u-2204.ova",
                templateName: "u-2204",
                expectedSha256: "abc",
                caFile: "ca.pem",
                diskProvisioning: "sparse",
                markAsTemplate: "yes",
                resourcePool: "pool-a",
                datastore: "",
            });
            assert.deepStrictEqual(Object.keys(reasons).sort(), [
                "caFile", "cluster", "datastore", "diskProvisioning", "expectedSha256", "folderPath", "markAsTemplate", "server", "source", "templateName",
            ]);
            assert.match(reasons.server, /is not host\[:port\] \(no scheme, no path\); e\.g\. vcenter\.lab\.internal/);
            assert.match(reasons.folderPath, /must be relative to the datacenter, without leading, trailing or double \/; e\.g\. spectro-templates/);
            assert.match(reasons.source, /is a relative path; give an absolute path/);
            assert.match(reasons.templateName, /does not start with r_;.*e\.g\. r_u-2204/);
            assert.match(reasons.expectedSha256, /64 hex digits/);
            assert.match(reasons.caFile, /is not an absolute path; e\.g\. \//);
            assert.match(reasons.diskProvisioning, /"sparse" is not allowed; use one of thin, thick, eagerZeroedThick/);
            assert.match(reasons.markAsTemplate, /must be true or false/);
            assert.match(reasons.cluster, /set only one of cluster \("cluster-a"\) and resourcePool \("pool-a"\)/);
            assert.match(reasons.datastore, /is required: give the datastore/);
        });

        it("OvaTemplateImport: values unknown during a preview are not failures", async function () {
            const reasons = await failures(OVA_TEMPLATE, { ...goodTemplate, server: UNKNOWN, folderPath: UNKNOWN, templateName: UNKNOWN, expectedSha256: UNKNOWN });
            assert.deepStrictEqual(reasons, {});
        });

        it("ValidationRun: a registry kind outside the closed set, a bad region, base and CA path", async function () {
            const reasons = await failures(VALIDATION_RUN, { registryKind: "quay", packBase: "Spectro Packs", scarUrl: "http://files.lab.internal", scarCaFile: "ca.pem" });
            assert.match(reasons.registryKind, /"quay" is not allowed; use one of harbor, generic, ecr/);
            assert.match(reasons.packBase, /is not a repository base/);
            assert.match(reasons.scarCaFile, /is not an absolute path/);
            const ecr = await failures(VALIDATION_RUN, { registryKind: "ecr", ecrRegion: "mars-1" });
            assert.match(ecr.ecrRegion, /"mars-1" is not an AWS region; e\.g\. us-west-2/);
        });

        it("ValidationRun with a separate images registry: valid inputs pass with both passwords returned as secrets; each images value is checked like its twin", async function () {
            const twoRegistries = {
                registryKind: "harbor",
                registryEndpoint: "10.10.100.48", registryUsername: "admin", registryPassword: wireSecret("packs-Pa55-CHECK"),
                imageRegistryKind: "generic",
                imageRegistryEndpoint: "example.internal.com", imageRegistryUsername: "robot", imageRegistryPassword: "images-Pa55-CHECK",
                imageRegistryCaFile: "/etc/pki/images-ca.crt",
            };
            const { result, wire } = await plugin.check(VALIDATION_RUN, "two", {}, twoRegistries);
            assert.deepStrictEqual(result.failures, []);
            assert.deepStrictEqual(secretPaths(wire).sort(), ["imageRegistryPassword", "registryPassword"], "the images password is a secret even when sent plain");
            const reasons = await failures(VALIDATION_RUN, { ...twoRegistries, imageRegistryKind: "quay", imageRegistryCaFile: "ca.pem", imageRegistryPassword: "" });
            assert.deepStrictEqual(Object.keys(reasons).sort(), ["imageRegistryCaFile", "imageRegistryKind", "imageRegistryPassword"]);
            assert.match(reasons.imageRegistryKind, /"quay" is not allowed; use one of harbor, generic/);
            const ecr = await failures(VALIDATION_RUN, { registryKind: "ecr", ecrRegion: "us-west-2", ecrImageRegion: "mars-1" });
            assert.match(ecr.ecrImageRegion, /"mars-1" is not an AWS region/);
        });

        it("a secret never appears in a failure's reason", async function () {
            const { result } = await plugin.check(OVA_TEMPLATE, "bad", {}, { ...goodTemplate, server: "", password: wireSecret("vc-Pa55-NEVER-SHOWN") });
            assert.ok(result.failures.length > 0);
            assert.ok(!JSON.stringify(result.failures).includes("vc-Pa55-NEVER-SHOWN"));
        });
    });

    describe("a failure inside one call does not take the plugin down", function () {
        it("a crash (a TypeError on a state without connection settings) is that call's error, and the next calls are served", async function () {
            await assert.rejects(plugin.read(OVA_TEMPLATE, "broken", "vm-1", { unexpected: true }), /failed unexpectedly \(TypeError/);
            await assert.rejects(plugin.delete(OVA_TEMPLATE, "broken", "vm-1", {}), /failed unexpectedly \(TypeError/);
            await assert.rejects(plugin.read(HARBOR_PROJECT, "broken", "1", { unexpected: true }), /the state holds no endpoint\/username\/password/);
            assert.ok(plugin.alive, "the plugin exited after a crash in a call");
            const { result } = await plugin.check(HARBOR_PROJECT, "after", {}, { endpoint: "harbor.lab.internal", username: "u", password: wireSecret("p"), projectName: "spectro-packs", public: false });
            assert.deepStrictEqual(result.failures, []);
        });

        it("a TypeError is reported as an unexpected failure naming the call and the type", async function () {
            await assert.rejects(plugin.read(OVA_TEMPLATE, "broken", "vm-1", {}), /read of palette-airgap:vsphere:OvaTemplateImport failed unexpectedly \(TypeError: .*\); the plugin keeps running/);
            assert.ok(plugin.alive);
        });

        it("an unknown type is refused with the list of the types the plugin serves", async function () {
            await assert.rejects(plugin.check("palette-airgap:index:Nope", "x", {}, {}), /unknown resource type "palette-airgap:index:Nope"; this plugin serves palette-airgap:vsphere:OvaTemplateImport, palette-airgap:registry:HarborProject, palette-airgap:validate:ValidationRun/);
            assert.ok(plugin.alive);
        });
    });

    describe("refresh and delete from any working directory (the state holds no code)", function () {
        let harbor: HarborStandIn;
        const PASSWORD = "harbor-Pa55-ELSEWHERE";

        before(async function () {
            const swaggerFile = requireSharedFile(this, "schemas/harbor-swagger-v2.15.2.yaml");
            harbor = await startHarborStandIn({ swaggerFile, username: "admin", password: PASSWORD });
        });

        after(async function () {
            await harbor?.stop();
        });

        it("a project created by one plugin process is read (with drift) and deleted by another, started in an unrelated empty directory", async function () {
            const inputs = { endpoint: harbor.endpoint, username: "admin", password: wireSecret(PASSWORD), caFile: harbor.caFile, projectName: "elsewhere", public: false };
            const checked = await plugin.check(HARBOR_PROJECT, "elsewhere", {}, inputs);
            const created = await plugin.create(HARBOR_PROJECT, "elsewhere", checked.wire);
            const state = created.wire; // what the engine stores: plain data, the password a secret

            const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "not-the-project-"));
            const other = await PluginProcess.start({ cwd: elsewhere, env: { PATH: process.env.PATH } });
            try {
                assert.deepStrictEqual(fs.readdirSync(elsewhere), []);
                harbor.setPublic("elsewhere", true);
                const read = await other.read(HARBOR_PROJECT, "elsewhere", created.result.id, state);
                assert.strictEqual(read.result.id, created.result.id);
                assert.strictEqual(read.result.props.public, true, "the refresh sees the change made in Harbor");
                assert.deepStrictEqual(secretPaths(read.wire), ["password"]);
                await other.delete(HARBOR_PROJECT, "elsewhere", created.result.id, read.wire);
                assert.strictEqual(harbor.project("elsewhere"), undefined);
                assert.ok(!other.transcript().includes(PASSWORD));
            } finally {
                await other.stop();
                fs.rmSync(elsewhere, { recursive: true, force: true });
            }
        });
    });
});
