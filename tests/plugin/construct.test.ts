/**
 * Construct, as the plugin runs it for a program in another language, under the SDK's mock
 * engine (the Pulumi CLI cannot run here): AirgapEnvironment from a stack file's keys registers
 * exactly the resources, and returns exactly the outputs, of the TypeScript program for that
 * stack file; a bad input fails with one error per property, before anything is registered; and
 * each part constructed alone registers its children with their secrets.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { SECTION_KEYS } from "../../components/configKeys";
import { PaletteAirgapProvider } from "../../provider/paletteAirgapProvider";
import { one, runComponents, valueOf, withoutSecrets } from "../support/componentMocks";
import { lastRun, MOCK_SETUP_RESULT, readStackConfig, resourceGraph, runStack, stackNames, TEST_SECRETS, type RegisteredResource, type StackRun } from "../support/stackHarness";

const REGISTRY = "palette-airgap:registry:OciRegistry";
const SETUP = "palette-airgap:setup:AirgapSetup";
const PACKS = "palette-airgap:setup:PackUploads";
const FILE_SERVER = "palette-airgap:fileserver:ManifestFileServer";

/**
 * The resources under the component `type` named `name` (itself excluded): type, name, parent
 * (`root` for the component itself), inputs and secret paths. Two runs that registered the same
 * part the same way give the same lines, whatever the component's own parent and name.
 */
function subtree(run: StackRun, type: string, name?: string): string[] {
    const roots = run.resources.filter((resource) => resource.type === type && (name === undefined || resource.name === name));
    assert.strictEqual(roots.length, 1, `one ${type} ${name ?? ""} in ${run.resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
    const under = (resource: RegisteredResource): boolean =>
        resource.parent === roots[0].urn || (resource.parent !== undefined && byUrn.has(resource.parent) && under(byUrn.get(resource.parent)!));
    return run.resources
        .filter(under)
        .map((resource) => {
            const parent = resource.parent === roots[0].urn ? "root" : `${byUrn.get(resource.parent!)!.type} ${byUrn.get(resource.parent!)!.name}`;
            return `${resource.type} ${resource.name} <- ${parent} ${JSON.stringify(resource.inputs)} secret:${[...resource.secretPaths].sort().join(",")} protect:${resource.protect}`;
        })
        .sort();
}

/** Every secret of the test stacks, none of which may reach a plain input. */
const SECRET_VALUES = [TEST_SECRETS.vspherePassword, TEST_SECRETS.registryPassword, TEST_SECRETS.imageRegistryPassword, "SSH-KEY-SECRET-3"];

/**
 * The program's setup and pack runs without the ids of the destinations it created (their third
 * trigger, present when the program created Harbor projects or ECR repositories:
 * tests/mocks/refillTriggers.test.ts): AirgapSetup alone pushes into registries that exist, so
 * its runs have none.
 */
function withoutDestinations(run: StackRun): StackRun {
    const resources = run.resources.map((resource) => {
        if (resource.type !== "command:local:Command" || !/^(palette-setup-run|pack-)/.test(resource.name)) return resource;
        const triggers = resource.inputs.triggers as unknown[];
        return triggers.length === 3 ? { ...resource, inputs: { ...resource.inputs, triggers: triggers.slice(0, 2) } } : resource;
    });
    return { ...run, resources };
}

function assertNoPlainSecret(run: StackRun): void {
    const plain = JSON.stringify(run.resources.map((resource) => withoutSecrets(resource.wireInputs)));
    for (const secret of SECRET_VALUES) {
        assert.ok(!plain.includes(secret), `${secret} reached a plain input`);
    }
}

type PropertyErrors = Error & { errors?: { propertyPath: string; reason: string }[]; propertyPath?: string; reason?: string };

/** The reasons of an InputPropertiesError by property. */
function reasonsOf(error: PropertyErrors): Record<string, string> {
    if (error.errors) return Object.fromEntries(error.errors.map((entry) => [entry.propertyPath, entry.reason]));
    assert.ok(error.propertyPath, `not an input property error: ${error.stack}`);
    return { [error.propertyPath!]: error.reason! };
}

describe("provider plugin: Construct under the SDK's mocks", function () {
    this.timeout(120_000);

    for (const stack of stackNames()) {
        it(`AirgapEnvironment constructed from ${stack}'s keys registers the program's resources and returns its outputs`, async function () {
            const program = await runStack(stack);
            const constructed = await runStack(stack, { construct: true });
            assert.deepStrictEqual(resourceGraph(constructed), resourceGraph(program));
            assert.ok(constructed.resources.length > 10);
            assert.deepStrictEqual(constructed.outputs, program.outputs);
            assert.deepStrictEqual(constructed.secretOutputs.sort(), program.secretOutputs.sort());
            const byKey = (run: typeof program) => run.resources.map((resource) => `${resource.type} ${resource.name} ${resource.secretPaths.sort().join(",")}`).sort();
            assert.deepStrictEqual(byKey(constructed), byKey(program), "the same inputs are secret");
            const plain = JSON.stringify(constructed.resources.map((resource) => withoutSecrets(resource.wireInputs)));
            for (const secret of [TEST_SECRETS.vspherePassword, TEST_SECRETS.registryPassword, "SSH-KEY-SECRET-3"]) {
                assert.ok(!plain.includes(secret), `${secret} reached a plain input`);
            }
        });
    }

    it("bad inputs fail with one error per property, naming the fix, before any resource is registered", async function () {
        await assert.rejects(
            runStack("harbor-lab", { construct: true, overrides: { registryKind: "quay", datacenter: "", diskProvisioning: "sparse", registryEndpoint: "http://harbor.lab.internal" } }),
            (error: Error & { errors?: { propertyPath: string; reason: string }[] }) => {
                assert.ok(pulumi.InputPropertiesError.isInstance(error), `not an InputPropertiesError: ${error}`);
                const reasons = Object.fromEntries(error.errors!.map((entry) => [entry.propertyPath, entry.reason]));
                assert.match(reasons.registryKind, /"quay" is not allowed; use one of harbor, ecr, generic/);
                assert.match(reasons.datacenter, /is required; e\.g\. pulumi config set datacenter/);
                assert.match(reasons.diskProvisioning, /"sparse" is not allowed; use one of thin, thick, eagerZeroedThick/);
                assert.ok(!/palette-airgap:/.test(Object.keys(reasons).join(" ")), "properties are named without the config namespace");
                assert.match(error.message, /^Invalid inputs of palette-airgap:index:AirgapEnvironment palette/);
                return true;
            },
        );
        assert.deepStrictEqual(lastRun().resources, [], "nothing may be registered before the inputs are valid");
    });

    it("an unknown input key is refused with the nearest known key", async function () {
        await assert.rejects(runStack("generic-dev", { construct: true, overrides: { vsphereServr: "vc.lab.internal" } }), (error: Error & { errors?: { propertyPath: string; reason: string }[] }) => {
            assert.deepStrictEqual(error.errors!.map((entry) => entry.propertyPath), ["vsphereServr"]);
            assert.match(error.errors![0].reason, /did you mean vsphereServer\?/);
            return true;
        });
    });

    describe("the parts alone", function () {
        const provider = new PaletteAirgapProvider();

        it("OvaTemplate registers its OvaTemplateImport with the password secret and the name derived from the OVA", async function () {
            const { value, registrations } = await runComponents(() =>
                provider.construct("ubuntu", "palette-airgap:vsphere:OvaTemplate", {
                    server: "vc.lab.internal", user: "administrator@vsphere.local", password: pulumi.secret("vc-Pa55-PART"),
                    datacenter: "dc-lab", folderPath: "spectro-templates", datastore: "ds1", network: "VM Network", cluster: "cluster-a",
                    source: "/srv/ova/u-2204-0-k-12510-0.ova", sha256: "A".repeat(64),
                }, {}),
                // The plugin's Read reports the name vCenter has: the mock answers the requested one.
                { newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, observedName: args.inputs.templateName } }) },
            );
            const state = (await value).state;
            const imported = one(registrations, "palette-airgap:vsphere:OvaTemplateImport");
            assert.strictEqual(one(registrations, "palette-airgap:vsphere:OvaTemplate").name, "ubuntu");
            assert.strictEqual(imported.parent, one(registrations, "palette-airgap:vsphere:OvaTemplate").urn);
            assert.deepStrictEqual(imported.secretPaths, ["password"]);
            assert.strictEqual(imported.inputs.templateName, "r_u-2204-0-k-12510-0");
            assert.strictEqual(imported.inputs.expectedSha256, "a".repeat(64));
            assert.strictEqual(await valueOf(state.templateName as pulumi.Output<string>), "r_u-2204-0-k-12510-0");
        });

        it("OvaTemplate: a source that is not known yet is refused, naming the property", async function () {
            await assert.rejects(
                runComponents(() => provider.construct("ubuntu", "palette-airgap:vsphere:OvaTemplate", { source: pulumi.output(pulumi.unknown as unknown as string) }, {})).then(async (run) => run.value),
                (error: Error & { propertyPath?: string }) => error.propertyPath === "source" && /must be known when the program runs/.test((error as any).reason),
            );
        });

        it("TemplatesFolder registers the vSphere folder under the datacenter, kept on destroy when asked", async function () {
            const { registrations } = await runComponents(() => provider.construct("templates", "palette-airgap:vsphere:TemplatesFolder", { datacenter: "dc-lab", retainOnDelete: true }, {}));
            const folder = one(registrations, "vsphere:index/folder:Folder");
            assert.deepStrictEqual([folder.inputs.path, folder.inputs.type], ["spectro-templates", "vm"]);
        });

        it("Validation takes the registry and template checks as objects, their passwords kept secret", async function () {
            const { registrations } = await runComponents(() =>
                provider.construct("checks", "palette-airgap:validate:Validation", {
                    scarUrl: "http://10.10.100.50:8080",
                    registry: { kind: "generic", endpoint: "registry.lab.internal:5000", username: "palette", password: pulumi.secret("reg-Pa55-PART") },
                    template: { server: "vc.lab.internal", user: "u", password: pulumi.secret("vc-Pa55-PART"), datacenter: "dc-lab", folderPath: "spectro-templates", templateName: "r_u-2204" },
                }, {}),
            );
            const run = one(registrations, "palette-airgap:validate:ValidationRun");
            assert.deepStrictEqual(run.secretPaths.sort(), ["registryPassword", "vspherePassword"]);
            assert.deepStrictEqual([run.inputs.registryKind, run.inputs.registryEndpoint, run.inputs.templateName], ["generic", "registry.lab.internal:5000", "r_u-2204"]);
            assert.ok(!JSON.stringify(withoutSecrets(run.wireInputs)).includes("Pa55-PART"), "a password reached a plain input");
        });

        it("Validation: a registry object that arrived as one secret keeps every field secret", async function () {
            const { registrations } = await runComponents(() =>
                provider.construct("checks", "palette-airgap:validate:Validation", {
                    registry: pulumi.secret({ kind: "generic", endpoint: "registry.lab.internal:5000", username: "palette", password: "reg-Pa55-WHOLE" }),
                }, {}),
            );
            const run = one(registrations, "palette-airgap:validate:ValidationRun");
            assert.ok(run.secretPaths.includes("registryPassword") && run.secretPaths.includes("registryEndpoint"));
            assert.strictEqual(run.inputs.registryEndpoint, "registry.lab.internal:5000");
            assert.ok(!JSON.stringify(withoutSecrets(run.wireInputs)).includes("reg-Pa55-WHOLE"));
        });

        for (const stack of stackNames()) {
            it(`OciRegistry constructed alone from ${stack}'s registry keys registers what AirgapEnvironment registers for it`, async function () {
                const program = await runStack(stack);
                const alone = await runStack(stack, { part: { token: REGISTRY, name: "palette-registry" } });
                assert.deepStrictEqual(subtree(alone, REGISTRY), subtree(program, REGISTRY));
                assert.deepStrictEqual(alone.resources.filter((resource) => !resource.parent).map((resource) => resource.type), [REGISTRY], "the registry alone registers nothing else");
                const summary = (await runStack(stack)).outputs.registry as Record<string, unknown>;
                for (const key of ["packRegistry", "packBase", "imageRegistry", "imageBase", "insecure", "imageInsecure"]) {
                    assert.deepStrictEqual(alone.outputs[key], summary[key], key);
                }
                assert.deepStrictEqual(alone.outputs.setupEnvironment, program.outputs.setupEnvironment);
                assertNoPlainSecret(alone);
            });

            const config = readStackConfig(stack);
            const publicEcr = config.registryKind === "ecr" && config.ecrPublicImages !== false && config.ecrPublicImages !== "false";
            if (publicEcr) {
                it(`AirgapSetup alone from ${stack}'s keys (ECR Public images) is refused, naming ecrPublicImages, before anything is registered`, async function () {
                    await assert.rejects(runStack(stack, { part: { token: SETUP, name: "palette-setup" } }), (error: PropertyErrors) => {
                        assert.match(reasonsOf(error).ecrPublicImages, /known only from the repository .* set ecrPublicImages false/);
                        return true;
                    });
                    assert.deepStrictEqual(lastRun().resources, []);
                });
            } else {
                it(`AirgapSetup constructed alone from ${stack}'s keys runs the setup and the pack uploads as AirgapEnvironment does`, async function () {
                    const program = withoutDestinations(await runStack(stack));
                    const alone = await runStack(stack, { part: { token: SETUP, name: "palette-setup" } });
                    // The pack uploads are the run's child here, AirgapEnvironment's there: the same uploads under another parent.
                    const packs = subtree(program, PACKS).map((line) => line.replace(/ <- root /, ` <- ${PACKS} palette-setup-packs `));
                    const expected = [...subtree(program, SETUP), `${PACKS} palette-setup-packs <- root {} secret: protect:false`, ...packs].sort();
                    assert.deepStrictEqual(subtree(alone, SETUP), expected);
                    assert.ok(!alone.resources.some((resource) => resource.type.startsWith("palette-airgap:registry:") || resource.type.startsWith("aws:")), "nothing is created in the registry");
                    assert.strictEqual(alone.outputs.manifestsZip, program.outputs.manifestsZip);
                    assert.deepStrictEqual(alone.outputs.packs, program.outputs.packs);
                    assertNoPlainSecret(alone);
                });
            }

            it(`ManifestFileServer constructed alone from ${stack}'s keys registers what AirgapEnvironment registers for it`, async function () {
                const program = await runStack(stack);
                // docker mode refuses the vSphere keys (they place a VM): a program gives only what the mode uses.
                const without = config.fileServerMode === "docker" ? SECTION_KEYS.vsphere : [];
                const alone = await runStack(stack, { part: { token: FILE_SERVER, name: "palette-fileserver", inputs: { manifestsZip: MOCK_SETUP_RESULT.manifestsZip }, without } });
                assert.deepStrictEqual(subtree(alone, FILE_SERVER), subtree(program, FILE_SERVER));
                assert.strictEqual(alone.outputs.scarUrl, program.outputs.scarUrl);
                assertNoPlainSecret(alone);
            });
        }

        it("AirgapSetup alone against private ECR (ecrPublicImages false) pushes to the hosts of the caller's account, as AirgapEnvironment does", async function () {
            const overrides = { ecrPublicImages: false, ecrImageRegion: "eu-central-1" };
            const program = withoutDestinations(await runStack("ecr-prod", { overrides }));
            const alone = await runStack("ecr-prod", { overrides, part: { token: SETUP, name: "palette-setup" } });
            const packs = subtree(program, PACKS).map((line) => line.replace(/ <- root /, ` <- ${PACKS} palette-setup-packs `));
            assert.deepStrictEqual(subtree(alone, SETUP), [...subtree(program, SETUP), `${PACKS} palette-setup-packs <- root {} secret: protect:false`, ...packs].sort());
            const run = alone.resources.find((resource) => resource.type === "command:local:Command")!;
            assert.match(JSON.stringify(run.inputs), /123456789012\.dkr\.ecr\.eu-central-1\.amazonaws\.com/);
            assert.ok(!alone.resources.some((resource) => resource.type.startsWith("aws:")), "no repository is created");
        });

        it("AirgapSetup alone: each pack upload waits for the setup run (and not for the component, its own parent)", async function () {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-airgap-setup-alone-"));
            const file = (name: string) => {
                fs.writeFileSync(path.join(dir, name), "#!/bin/sh\n", { mode: 0o755 });
                return path.join(dir, name);
            };
            const previous = process.env.PALETTE_AIRGAP_SKIP_PREFLIGHT;
            process.env.PALETTE_AIRGAP_SKIP_PREFLIGHT = "1";
            try {
                const { value, registrations } = await runComponents(() =>
                    provider.construct("setup", SETUP, {
                        registryKind: "generic", registryEndpoint: "registry.lab.internal:5000", registryUsername: "palette", registryPassword: pulumi.secret("reg-Pa55-ALONE"),
                        setupBinary: file("airgap-v4.2.13.bin"), workDir: dir,
                        packBinaries: [file("airgap-pack-cni-calico-3.25.1.bin"), file("airgap-pack-csi-vsphere-3.1.2.bin")],
                    }, {}),
                );
                await value;
                const setupRun = one(registrations, "command:local:Command", "setup-run");
                const uploads = registrations.filter((registration) => registration.type === "command:local:Command" && registration.name !== "setup-run");
                assert.strictEqual(uploads.length, 2);
                for (const upload of uploads) {
                    assert.ok(upload.dependencies.includes(setupRun.urn), `${upload.name} does not wait for the setup run`);
                    assert.strictEqual(upload.parent, one(registrations, PACKS).urn);
                }
                assert.strictEqual(one(registrations, PACKS).parent, one(registrations, SETUP).urn);
                assert.ok(!JSON.stringify(registrations.map((registration) => withoutSecrets(registration.wireInputs))).includes("reg-Pa55-ALONE"));
            } finally {
                process.env.PALETTE_AIRGAP_SKIP_PREFLIGHT = previous ?? "";
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("AirgapSetup alone: secrets stay secret in the Command's environment, never in its script", async function () {
            const alone = await runStack("split-registries", { part: { token: SETUP, name: "palette-setup" } });
            const commands = alone.resources.filter((resource) => resource.type === "command:local:Command");
            assert.ok(commands.length >= 2, "the setup run and at least one pack upload");
            for (const command of commands) {
                assert.ok(command.secretPaths.some((secretPath) => secretPath.startsWith("environment")), `${command.name}: the password is a secret input`);
                assert.ok(!String(command.inputs.create).includes(TEST_SECRETS.registryPassword) && !String(command.inputs.create).includes(TEST_SECRETS.imageRegistryPassword));
            }
            assertNoPlainSecret(alone);
        });

        it("a registry password given as a plain input is still kept secret (it is a secret key)", async function () {
            const { registrations } = await runComponents(() =>
                provider.construct("reg", REGISTRY, { registryKind: "harbor", registryEndpoint: "harbor.lab.internal", registryUsername: "admin", registryPassword: "harbor-Pa55-PLAIN" }, {}),
            );
            const projects = registrations.filter((registration) => registration.type === "palette-airgap:registry:HarborProject");
            assert.strictEqual(projects.length, 2);
            for (const project of projects) {
                assert.deepStrictEqual(project.secretPaths, ["password"]);
                assert.ok(!JSON.stringify(withoutSecrets(project.wireInputs)).includes("harbor-Pa55-PLAIN"));
            }
        });

        const badInputs: { token: string; inputs: Record<string, unknown>; reasons: Record<string, RegExp> }[] = [
            {
                token: REGISTRY,
                inputs: { registryKind: "quay", packBase: "Spectro Packs" },
                reasons: { registryKind: /"quay" is not allowed; use one of harbor, ecr, generic/ },
            },
            {
                token: REGISTRY,
                inputs: { registryKind: "harbor", registryEndpoint: "http://harbor.lab.internal", registryUsername: "admin", registryPassword: pulumi.secret("x"), ecrRegion: "us-east-1", packBase: "spectro/packs", imageBase: "spectro/images" },
                reasons: { registryEndpoint: /http/, ecrRegion: /is not used with registryKind harbor; remove it/, imageBase: /same Harbor project/ },
            },
            {
                token: REGISTRY,
                inputs: { registryKind: "ecr", ecrRegion: "us-east-1", datacenter: "dc-lab", registryEndpoint: "x.internal" },
                reasons: { datacenter: /is not an input of palette-airgap:registry:OciRegistry \(it configures another part\)/, registryEndpoint: /is not used with registryKind ecr/ },
            },
            {
                token: SETUP,
                inputs: { registryKind: "generic", registryEndpoint: "r.lab.internal:5000", registryUsername: "u", registryPassword: pulumi.secret("p"), setupBinary: "airgap.bin", setupMaxAttempts: 0, loginTool: "crane", packBinaries: ["/opt/palette/packs/notapack.bin"], setupBinaryShaa256: "x" },
                reasons: {
                    setupBinary: /absolute/,
                    setupMaxAttempts: /not a whole number from 1 to 10/,
                    loginTool: /"crane" is not allowed; use one of oras, docker, skopeo/,
                    packBinaries: /airgap-pack-/,
                    setupBinaryShaa256: /is not an input of palette-airgap:setup:AirgapSetup; did you mean setupBinarySha256\?/,
                },
            },
            {
                token: SETUP,
                inputs: { registryKind: "harbor", registryEndpoint: "h.lab.internal", registryUsername: "u", registryPassword: pulumi.secret("p"), setupBinary: "/opt/a.bin", protectRegistryContent: "true" },
                reasons: { protectRegistryContent: /is not an input of palette-airgap:setup:AirgapSetup/ },
            },
            {
                token: FILE_SERVER,
                inputs: { manifestsZip: "/tmp/m.zip", fileServerMode: "docker", fileServerDockerHost: "tcp://docker01:2375", fileServerImage: "nginx:1.27", vsphereServer: "vc.lab.internal", fileServerWebRoot: "/etc" },
                reasons: { fileServerDockerHost: /tcp/, vsphereServer: /is not used with fileServerMode docker/, fileServerWebRoot: /./ },
            },
            {
                token: FILE_SERVER,
                inputs: { manifestsZip: "/tmp/m.zip", fileServerMode: "vm", fileServerTemplate: "ubuntu", fileServerIp: "10.0.0.5/24" },
                reasons: { vsphereServer: /is required/, datacenter: /is required/, cluster: /set cluster \(or resourcePool\)/, fileServerGateway: /is required with fileServerIp/, fileServerDns: /IPv4/ },
            },
        ];
        for (const { token, inputs, reasons } of badInputs) {
            it(`${token.split(":").pop()} refuses ${Object.keys(reasons).join(", ")}, naming each property and the fix, before registering anything`, async function () {
                const { value, registrations } = await runComponents(() => provider.construct("bad", token, inputs, {}));
                await assert.rejects(value, (error: PropertyErrors) => {
                    assert.ok(pulumi.InputPropertiesError.isInstance(error), `not an InputPropertiesError: ${error.stack}`);
                    const actual = reasonsOf(error);
                    for (const [property, reason] of Object.entries(reasons)) {
                        assert.match(actual[property] ?? "(no error)", reason, property);
                    }
                    assert.match(error.message, new RegExp(`^Invalid inputs of ${token} bad`));
                    return true;
                });
                assert.deepStrictEqual(registrations, [], "nothing may be registered before the inputs are valid");
            });
        }

        it("ManifestFileServer without manifestsZip is refused, naming the property", async function () {
            const { value, registrations } = await runComponents(() => provider.construct("files", FILE_SERVER, { fileServerMode: "docker", fileServerDockerHost: "unix:///var/run/docker.sock", fileServerImage: "nginx:1.27" }, {}));
            await assert.rejects(value, (error: PropertyErrors) => reasonsOf(error).manifestsZip !== undefined && /is required/.test(reasonsOf(error).manifestsZip));
            assert.deepStrictEqual(registrations, []);
        });

        it("ManifestFileServer alone runs the file server's preflight (ssh, TLS files) before it registers anything", async function () {
            const previous = process.env.PALETTE_AIRGAP_SKIP_PREFLIGHT;
            process.env.PALETTE_AIRGAP_SKIP_PREFLIGHT = "";
            try {
                const missing = path.join(os.tmpdir(), "palette-airgap-construct-missing");
                const { value, registrations } = await runComponents(() =>
                    provider.construct("files", FILE_SERVER, {
                        fileServerMode: "docker", fileServerDockerHost: "ssh://ops@docker01.lab.internal", fileServerImage: "nginx:1.27",
                        fileServerTlsCertFile: `${missing}/tls.crt`, fileServerTlsKeyFile: `${missing}/tls.key`, manifestsZip: `${missing}/m.zip`,
                    }, {}),
                );
                await assert.rejects(value, /^Error: preflight: 2 problems before the file server \(nothing was created\):\n  - fileServerTlsCertFile: .*\n  - fileServerTlsKeyFile: /);
                assert.deepStrictEqual(registrations, []);
            } finally {
                process.env.PALETTE_AIRGAP_SKIP_PREFLIGHT = previous ?? "";
            }
        });

        it("an unknown component type is refused with the list of those the plugin constructs", async function () {
            await assert.rejects(provider.construct("x", "palette-airgap:index:Nope", {}, {}), /unknown component type "palette-airgap:index:Nope"; this plugin constructs palette-airgap:index:AirgapEnvironment, /);
        });
    });
});
