/**
 * Construct, as the plugin runs it for a program in another language, under the SDK's mock
 * engine (the Pulumi CLI cannot run here): AirgapEnvironment from a stack file's keys registers
 * exactly the resources, and returns exactly the outputs, of the TypeScript program for that
 * stack file; a bad input fails with one error per property, before anything is registered; and
 * each part constructed alone registers its children with their secrets.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { PaletteAirgapProvider } from "../../provider/paletteAirgapProvider";
import { one, runComponents, valueOf, withoutSecrets } from "../support/componentMocks";
import { lastRun, resourceGraph, runStack, stackNames, TEST_SECRETS } from "../support/stackHarness";

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

        it("an unknown component type is refused with the list of those the plugin constructs", async function () {
            await assert.rejects(provider.construct("x", "palette-airgap:index:Nope", {}, {}), /unknown component type "palette-airgap:index:Nope"; this plugin constructs palette-airgap:index:AirgapEnvironment, /);
        });
    });
});
