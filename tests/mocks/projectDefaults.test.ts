/**
 * The Pulumi CLI hands the program every default of Pulumi.yaml's config block for the keys a
 * stack leaves unset (found when `pulumi preview` first ran this program: a Harbor stack was
 * refused with "ecrPublicImages: is not used with registryKind harbor", a key its user never
 * set). The mock harness applies those defaults as the CLI does (tests/support/stackHarness.ts
 * projectDefaults); these tests pin the rule itself: a value equal to the declared default is not
 * the user's, any other value of a key that does not apply is still refused.
 */
import * as assert from "assert";
import { assertProblem, expectConfigError } from "../support/configErrors";
import { projectDefaults, runStack, TEST_SECRETS } from "../support/stackHarness";

const harborSecrets = { vspherePassword: TEST_SECRETS.vspherePassword, registryPassword: TEST_SECRETS.registryPassword };

describe("Pulumi.yaml defaults as the CLI passes them (program under the SDK's mock engine)", () => {
    it("the harness passes the declared non-empty defaults, encoded as the CLI encodes them", () => {
        const defaults = projectDefaults();
        assert.strictEqual(defaults.ecrPublicImages, "true");
        assert.strictEqual(defaults.fileServerCpus, "2");
        assert.strictEqual(defaults.packBinaries, "[]");
        assert.strictEqual(defaults.fileServerSshUser, "ubuntu");
    });

    it("a Harbor stack loads with every ECR default present (ecrPublicImages true)", async () => {
        const run = await runStack("harbor-lab");
        assert.ok(run.resources.some((resource) => resource.type === "palette-airgap:registry:HarborProject"));
    });

    it("a docker-mode file server loads with every vm-mode default present (fileServerCpus, fileServerSshUser, ...)", async () => {
        const run = await runStack("generic-dev", {});
        assert.ok(run.resources.length > 0);
    });

    it("a value other than the default of a key that does not apply is still refused, naming the key and the fix", async () => {
        const error = await expectConfigError("harbor-lab", { overrides: { ecrPublicImages: false }, secrets: harborSecrets });
        assertProblem(error, { key: "ecrPublicImages", fix: /is not used with registryKind harbor; remove it \(pulumi config rm ecrPublicImages\)/ });
    });

    it("the default written by hand in the stack file (same value) is accepted too", async () => {
        const run = await runStack("harbor-lab", { overrides: { ecrPublicImages: true } });
        assert.ok(run.resources.some((resource) => resource.type === "palette-airgap:registry:HarborProject"));
    });
});
