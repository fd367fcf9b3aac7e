/**
 * What `pulumi destroy` removes, keeps (retainOnDelete) and refuses (protect), per stack, as the
 * engine would receive it from the program under the SDK's mock engine.
 */
import * as assert from "assert";
import { RegisteredResource, runStack } from "../support/stackHarness";

type Expectation = { protect: boolean; retainOnDelete: boolean };
const REMOVED: Expectation = { protect: false, retainOnDelete: false };

/** The resource types whose destroy behaviour depends on the lifecycle; all others are removed. */
function expectedFor(lifecycle: "production" | "lab", resource: RegisteredResource): Expectation {
    const production = lifecycle === "production";
    switch (resource.type) {
        case "vsphere:index/folder:Folder":
            return { protect: false, retainOnDelete: production }; // it may hold other stacks' templates
        case "palette-airgap:vsphere:OvaTemplate":
        case "palette-airgap:vsphere:OvaTemplateImport":
            return { protect: production, retainOnDelete: false };
        case "palette-airgap:registry:HarborProject":
        case "aws:ecr/repository:Repository":
        case "aws:ecrpublic/repository:Repository":
            return { protect: production, retainOnDelete: false }; // they hold the hour-long upload
        default:
            return REMOVED;
    }
}

describe("destroy semantics per stack (program under the SDK's mock engine)", () => {
    const stacks: [string, "production" | "lab"][] = [["ecr-prod", "production"], ["harbor-lab", "lab"], ["generic-dev", "lab"]];
    for (const [stack, lifecycle] of stacks) {
        it(`${stack} (${lifecycle}): protect and retainOnDelete on every resource`, async () => {
            const run = await runStack(stack);
            assert.ok(run.resources.length > 10);
            for (const resource of run.resources) {
                const expected = expectedFor(lifecycle, resource);
                assert.deepStrictEqual(
                    { protect: resource.protect, retainOnDelete: resource.retainOnDelete },
                    expected,
                    `${stack}: ${resource.type} ${resource.name}`,
                );
            }
        });
    }

    it("lab stacks let destroy delete Harbor projects that still hold images; production refuses", async () => {
        const lab = await runStack("harbor-lab");
        const production = await runStack("harbor-lab", { overrides: { lifecycle: "production" } });
        const flags = (run: typeof lab) =>
            run.resources.filter((resource) => resource.type === "palette-airgap:registry:HarborProject").map((resource) => [resource.protect, resource.inputs.allowDeleteNonEmpty]);
        assert.deepStrictEqual(flags(lab), [[false, true], [false, true]]);
        assert.deepStrictEqual(flags(production), [[true, false], [true, false]]);
    });

    it("explicit keys override the lifecycle, each way", async () => {
        const run = await runStack("ecr-prod", { overrides: { protectTemplate: "false", retainTemplatesFolder: "false", protectRegistryContent: "false" } });
        for (const resource of run.resources) {
            assert.strictEqual(resource.protect, false, `${resource.type} ${resource.name}`);
            assert.strictEqual(resource.retainOnDelete, false, `${resource.type} ${resource.name}`);
        }
        const lab = await runStack("harbor-lab", { overrides: { protectTemplate: "true" } });
        const template = lab.resources.find((resource) => resource.type === "palette-airgap:vsphere:OvaTemplateImport");
        assert.strictEqual(template?.protect, true);
    });

    it("an override that is not true, false or empty is a config error naming the key", async () => {
        await assert.rejects(runStack("ecr-prod", { overrides: { protectTemplate: "yes" } }), /palette-airgap:protectTemplate: "yes" is not true, false or empty/);
        await assert.rejects(runStack("ecr-prod", { overrides: { lifecycle: "staging" } }), /palette-airgap:lifecycle: "staging" is not allowed; use one of production, lab/);
    });
});
