/**
 * A Harbor project deleted behind Pulumi's back takes its images with it. `pulumi up --refresh`
 * creates it again, empty, and must then push again (found by the real CLI: the project came
 * back, the setup run did not, and the validation failed "spectro-packs holds no repository").
 * The setup and pack runs carry the ids of what they push into in their triggers, so a new
 * project (a new id) replaces them, and an unchanged stack leaves them alone.
 */
import * as assert from "assert";
import { findResource, runStack } from "../support/stackHarness";

const COMMAND = "command:local:Command";

function triggersOf(run: Awaited<ReturnType<typeof runStack>>, name: string): unknown[] {
    const command = findResource(run, COMMAND).find((resource) => resource.name === name);
    assert.ok(command, `no ${name} command`);
    return command.inputs.triggers as unknown[];
}

describe("setup and pack runs follow the destinations they fill (program under the SDK's mock engine)", () => {
    for (const stack of ["harbor-lab", "split-registries"]) {
        it(`${stack}: the setup run and every pack run name both Harbor projects' ids in their triggers`, async () => {
            const run = await runStack(stack);
            const projects = findResource(run, "palette-airgap:registry:HarborProject").map((project) => `${project.name}-id`).sort();
            assert.strictEqual(projects.length, 2);
            const packRuns = findResource(run, COMMAND).filter((resource) => resource.name.startsWith("pack-"));
            assert.ok(packRuns.length > 0, `${stack} has no pack run`);
            for (const name of ["palette-setup-run", ...packRuns.map((resource) => resource.name)]) {
                const triggers = triggersOf(run, name);
                assert.strictEqual(triggers.length, 3, `${name}: ${JSON.stringify(triggers)}`);
                assert.deepStrictEqual([...(triggers[2] as string[])].sort(), projects, name);
            }
        });
    }

    it("ecr-prod: the repositories' ids are in the triggers too (ECR under mocks: the AWS plugin cannot be built here)", async () => {
        const run = await runStack("ecr-prod");
        const triggers = triggersOf(run, "palette-setup-run");
        assert.strictEqual(triggers.length, 3);
        assert.ok((triggers[2] as string[]).length >= 2, JSON.stringify(triggers));
    });

    it("generic-dev: nothing is created, so the triggers are the binary and the target only", async () => {
        const run = await runStack("generic-dev");
        assert.strictEqual(triggersOf(run, "palette-setup-run").length, 2);
    });
});
