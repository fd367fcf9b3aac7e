/**
 * The images registry's keys (imageRegistry*, ecrImageRegion), run through the real program under
 * the SDK's mock engine: each key is validated as its registry* twin, defaults to it, and keys
 * that make no sense together are refused naming them, before any resource exists.
 */
import * as assert from "assert";
import { ConfigError } from "../../components";
import { BadConfig, assertProblem, expectConfigError as expectStackConfigError } from "../support/configErrors";
import { StackRun, TEST_SECRETS, lastRun, runStack, secretsFor } from "../support/stackHarness";

const SPLIT = "split-registries";

const BAD_CONFIGS: BadConfig[] = [
    // Each key as its twin.
    { label: "unknown images registry kind", stack: SPLIT, overrides: { imageRegistryKind: "quay" }, key: "imageRegistryKind", fix: /use one of harbor, generic/ },
    { label: "ecr as the images registry kind", stack: SPLIT, overrides: { imageRegistryKind: "ecr" }, key: "imageRegistryKind", fix: /use one of harbor, generic/ },
    { label: "http:// images registry", stack: SPLIT, overrides: { imageRegistryEndpoint: "http://example.internal.com" }, key: "imageRegistryEndpoint", fix: /give example\.internal\.com/ },
    { label: "images registry over ftp://", stack: SPLIT, overrides: { imageRegistryEndpoint: "ftp://example.internal.com" }, key: "imageRegistryEndpoint", fix: /unsupported scheme/ },
    { label: "images registry with a path", stack: SPLIT, overrides: { imageRegistryEndpoint: "example.internal.com/v2/" }, key: "imageRegistryEndpoint", fix: /host\[:port\]/ },
    {
        label: "images registry with credentials inside", stack: SPLIT, overrides: { imageRegistryEndpoint: "https://robot:Inside-Pa55@example.internal.com" },
        key: "imageRegistryEndpoint", fix: /holds credentials.*use imageRegistryUsername and imageRegistryPassword \(--secret\)/,
    },
    { label: "images user with a colon", stack: SPLIT, overrides: { imageRegistryUsername: "robot:images" }, key: "imageRegistryUsername", fix: /contains ":", which basic authentication cannot carry/ },
    {
        label: "images on a Harbor (packs generic) with a base only a generic registry accepts", stack: "generic-dev",
        overrides: { imageRegistryEndpoint: "harbor.dev.internal", imageRegistryKind: "harbor", imageBase: "spectro--images" }, key: "imageBase", fix: /not a Harbor project name/,
    },
    { label: "relative images CA path", stack: SPLIT, overrides: { imageRegistryCaFile: "pki/ca.crt" }, key: "imageRegistryCaFile", fix: /absolute path/ },
    { label: "images insecure that is not a boolean", stack: SPLIT, overrides: { imageRegistryInsecure: "yes" }, key: "imageRegistryInsecure", fix: /not true, false or empty/ },
    { label: "images insecure together with an images CA", stack: SPLIT, overrides: { imageRegistryInsecure: "true" }, key: "imageRegistryInsecure", fix: /imageRegistryInsecure false/ },
    {
        label: "images password in plain text", stack: SPLIT, overrides: { imageRegistryPassword: "plain-Pa55" },
        secrets: { vspherePassword: "x", registryPassword: "y", fileServerSshPrivateKey: "k" }, key: "imageRegistryPassword", fix: /plain text.*--secret imageRegistryPassword/,
    },
    // Keys that go together.
    {
        label: "images user without its password", stack: SPLIT, secrets: { vspherePassword: "x", registryPassword: "y", fileServerSshPrivateKey: "k" },
        key: "imageRegistryPassword", fix: /required with imageRegistryUsername/,
    },
    { label: "images user on the packs registry", stack: "harbor-lab", overrides: { imageRegistryUsername: "robot$images" }, secrets: { imageRegistryPassword: "z" }, key: "imageRegistryUsername", fix: /one login.*Set imageRegistryEndpoint/ },
    { label: "images kind differing on the same endpoint", stack: "harbor-lab", overrides: { imageRegistryEndpoint: "harbor.lab.internal", imageRegistryKind: "generic" }, key: "imageRegistryKind", fix: /is the packs registry harbor\.lab\.internal/ },
    { label: "images CA differing on the same registry", stack: "harbor-lab", overrides: { imageRegistryCaFile: "/etc/pki/other-ca.crt" }, key: "imageRegistryCaFile", fix: /one CA/ },
    { label: "images password differing on the same registry", stack: "harbor-lab", secrets: { imageRegistryPassword: "another-Pa55" }, key: "imageRegistryPassword", fix: /one login/ },
    { label: "images insecure on a registry that has a CA", stack: "harbor-lab", overrides: { imageRegistryInsecure: "true" }, key: "imageRegistryInsecure", fix: /Set imageRegistryEndpoint/ },
    // ECR.
    { label: "ECR with an images registry endpoint", stack: "ecr-prod", overrides: { imageRegistryEndpoint: "example.internal.com" }, key: "imageRegistryEndpoint", fix: /registryKind ecr.*pulumi config rm imageRegistryEndpoint/ },
    { label: "ECR with an images registry kind", stack: "ecr-prod", overrides: { imageRegistryKind: "harbor" }, key: "imageRegistryKind", fix: /pulumi config rm imageRegistryKind/ },
    { label: "ECR with an images registry password", stack: "ecr-prod", secrets: { imageRegistryPassword: "p" }, key: "imageRegistryPassword", fix: /pulumi config rm imageRegistryPassword/ },
    { label: "ECR images region with ECR Public", stack: "ecr-prod", overrides: { ecrImageRegion: "eu-central-1" }, key: "ecrImageRegion", fix: /us-east-1.*ecrPublicImages false/ },
    { label: "ECR malformed images region", stack: "ecr-prod", overrides: { ecrPublicImages: false, ecrImageRegion: "eu-central" }, key: "ecrImageRegion", fix: /not an AWS region/ },
    { label: "ECR images region on Harbor", stack: "harbor-lab", overrides: { ecrImageRegion: "eu-central-1" }, key: "ecrImageRegion", fix: /pulumi config rm ecrImageRegion/ },
    { label: "ECR private images in the packs region under the packs base", stack: "ecr-prod", overrides: { ecrPublicImages: false, imageBase: "spectro-packs" }, key: "imageBase", fix: /must differ from packBase/ },
];

/** Secrets of a case are added to the stack's own; a set holding vspherePassword replaces them. */
function expectConfigError(bad: BadConfig): Promise<ConfigError> {
    const secrets = bad.secrets && "vspherePassword" in bad.secrets ? bad.secrets : { ...secretsFor(bad.stack), ...(bad.secrets ?? {}) };
    return expectStackConfigError(bad.stack, { overrides: bad.overrides, remove: bad.remove, secrets });
}

describe("images registry keys (program under the SDK's mock engine)", () => {
    for (const bad of BAD_CONFIGS) {
        it(`${bad.label}: names palette-airgap:${bad.key} and the fix, creates nothing`, async () => {
            const error = await expectConfigError(bad);
            assertProblem(error, bad);
            for (const secret of [...Object.values(TEST_SECRETS), "plain-Pa55", "another-Pa55", "Inside-Pa55"]) {
                assert.ok(!error.message.includes(secret), "a secret value in the message");
            }
        });
    }

    it("every images key defaults to its twin: harbor-lab's images stay on its one Harbor with one login", async () => {
        const run = await runStack("harbor-lab");
        const [setup] = run.resources.filter((r) => r.name === "palette-setup-run");
        assert.deepStrictEqual(Object.keys(setup.inputs.environment as object), ["PALETTE_AIRGAP_REGISTRY_PASSWORD"]);
        const [validation] = run.resources.filter((r) => r.type === "palette-airgap:validate:ValidationRun");
        assert.strictEqual(validation.inputs.imageRegistryEndpoint, undefined);
    });

    it("image keys equal to their twins name the same registry: accepted, one registry", async () => {
        const run = await runStack("harbor-lab", {
            overrides: { imageRegistryEndpoint: "https://harbor.lab.internal/", imageRegistryKind: "harbor", imageRegistryUsername: "admin", imageRegistryCaFile: "/etc/pki/palette/harbor-ca.crt" },
            secrets: { ...secretsFor("harbor-lab"), imageRegistryPassword: TEST_SECRETS.registryPassword },
        });
        assert.strictEqual((run.outputs.setupEnvironment as Record<string, string>).OCI_IMAGE_REGISTRY, "harbor.lab.internal");
        const [setup] = run.resources.filter((r) => r.name === "palette-setup-run");
        assert.deepStrictEqual(Object.keys(setup.inputs.environment as object), ["PALETTE_AIRGAP_REGISTRY_PASSWORD"]);
    });

    it("a separate images registry without its own user or CA takes the packs registry's (the twins), and its own password when given", async () => {
        const run = await runStack("harbor-lab", {
            overrides: { imageRegistryEndpoint: "images.lab.internal:8443", imageRegistryKind: "generic" },
            secrets: { ...secretsFor("harbor-lab"), imageRegistryPassword: TEST_SECRETS.imageRegistryPassword },
        });
        assert.deepStrictEqual(run.outputs.registry, {
            kind: "harbor", packRegistry: "harbor.lab.internal", packBase: "spectro-packs", imageKind: "generic", imageRegistry: "images.lab.internal:8443", imageBase: "spectro-images",
            insecure: false, caFile: "/etc/pki/palette/harbor-ca.crt", imageInsecure: false, imageCaFile: "/etc/pki/palette/harbor-ca.crt",
        });
        // Generic images registry: only the packs project is created (on the packs Harbor).
        const projects = run.resources.filter((r) => r.type === "palette-airgap:registry:HarborProject");
        assert.deepStrictEqual(projects.map((p) => [p.inputs.projectName, p.inputs.endpoint]), [["spectro-packs", "harbor.lab.internal"]]);
        const answers = run.outputs.paletteCli as Record<string, any>;
        assert.strictEqual(answers.images.username, "admin");
        assert.strictEqual(answers.images.password, TEST_SECRETS.imageRegistryPassword);
    });

    it("an images insecure flag stops the images CA from following registryCaFile; on separate registries the bases may be equal", async () => {
        const run = await runStack("harbor-lab", {
            overrides: { imageRegistryEndpoint: "images.lab.internal", imageRegistryInsecure: "true", imageBase: "spectro-packs" },
        });
        const registry = run.outputs.registry as Record<string, unknown>;
        assert.strictEqual(registry.imageInsecure, true);
        assert.strictEqual(registry.imageCaFile, undefined);
        assert.strictEqual(registry.caFile, "/etc/pki/palette/harbor-ca.crt");
        assert.deepStrictEqual(run.outputs.setupEnvironment, {
            OCI_IMAGE_REGISTRY: "images.lab.internal", OCI_IMAGE_BASE: "spectro-packs", OCI_PACK_REGISTRY: "harbor.lab.internal", OCI_PACK_BASE: "spectro-packs",
        });
    });

    it("ECR private images in their own region: repository, template, variables and login in ecrImageRegion (mock AWS)", async () => {
        const run = await runStack("ecr-prod", { overrides: { ecrPublicImages: false, ecrImageRegion: "eu-central-1" } });
        const env = run.outputs.setupEnvironment as Record<string, string>;
        assert.strictEqual(env.ECR_IMAGE_REGISTRY_REGION, "eu-central-1");
        assert.strictEqual(env.ECR_PACK_REGISTRY_REGION, "us-west-2");
        assert.strictEqual(env.ECR_IMAGE_REGISTRY, "123456789012.dkr.ecr.eu-central-1.amazonaws.com");
        assert.strictEqual(env.ECR_PACK_REGISTRY, "123456789012.dkr.ecr.us-west-2.amazonaws.com");
        const repositories = run.resources.filter((r) => r.type === "aws:ecr/repository:Repository");
        assert.deepStrictEqual(repositories.map((r) => [r.inputs.name, r.inputs.region]).sort(), [["spectro-images", "eu-central-1"], ["spectro-packs", "us-west-2"]]);
        const templates = run.resources.filter((r) => r.type === "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
        assert.deepStrictEqual(templates.map((r) => [r.inputs.prefix, r.inputs.region]).sort(), [["spectro-images", "eu-central-1"], ["spectro-packs", "us-west-2"]]);
        const [setup] = run.resources.filter((r) => r.name === "palette-setup-run");
        assert.match(String(setup.inputs.create), /login_ecr '123456789012\.dkr\.ecr\.eu-central-1\.amazonaws\.com' 'eu-central-1'/);
        assert.match(String(setup.inputs.create), /login_ecr '123456789012\.dkr\.ecr\.us-west-2\.amazonaws\.com' 'us-west-2'/);
        const [validation] = run.resources.filter((r) => r.type === "palette-airgap:validate:ValidationRun");
        assert.strictEqual(validation.inputs.ecrImageRegion, "eu-central-1");
        const answers = run.outputs.paletteCli as Record<string, any>;
        assert.strictEqual(answers.images.region, "eu-central-1");
        assert.strictEqual(answers.packs.region, "us-west-2");
    });
});

describe("ECR registry ids (program under the SDK's mock engine, mock AWS)", () => {
    async function runCollectingUnhandled(options: Parameters<typeof runStack>[1]): Promise<{ caught: unknown; unhandled: unknown[]; run?: StackRun }> {
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on("unhandledRejection", onUnhandled);
        try {
            return { caught: undefined, unhandled, run: await runStack("ecr-prod", options) };
        } catch (error) {
            return { caught: error, unhandled };
        } finally {
            await new Promise((resolve) => setTimeout(resolve, 200));
            process.off("unhandledRejection", onUnhandled);
        }
    }

    for (const [label, account] of [["not digits", "not-an-account"], ["11 digits", "12345678901"], ["empty", ""]] as const) {
        it(`mock: an AWS account (registry id) that is ${label} fails the run with one clear RunError before any resource, no unhandled rejection`, async () => {
            const { caught, unhandled } = await runCollectingUnhandled({
                mockInvoke: (token, result) => (token === "aws:index/getCallerIdentity:getCallerIdentity" ? { ...result, accountId: account } : undefined),
            });
            const pulumi = await import("@pulumi/pulumi");
            assert.ok(caught, "the run succeeded with a bad account id");
            assert.ok(pulumi.RunError.isInstance(caught), `not a RunError: ${(caught as Error).stack}`);
            assert.match((caught as Error).message, new RegExp(`is ${JSON.stringify(account)}, not a 12-digit AWS account id.*check the AWS credentials`));
            assert.deepStrictEqual(lastRun().resources.map((resource) => resource.name), [], "resources were registered before the error");
            assert.deepStrictEqual(unhandled.map((reason) => String(reason)), [], "unhandled rejections");
        });
    }

    it("mock: AWS credentials that getCallerIdentity rejects fail the run with one RunError naming the credentials, before any resource", async () => {
        const { caught, unhandled } = await runCollectingUnhandled({
            mockInvoke: (token) => {
                if (token === "aws:index/getCallerIdentity:getCallerIdentity") {
                    throw new Error("InvalidClientTokenId: The security token included in the request is invalid");
                }
                return undefined;
            },
        });
        const pulumi = await import("@pulumi/pulumi");
        assert.ok(pulumi.RunError.isInstance(caught), `not a RunError: ${(caught as Error)?.stack}`);
        assert.match((caught as Error).message, /^registryKind ecr: cannot read the AWS account \(aws\.getCallerIdentity\).*: check the AWS credentials \(environment, profile or role\)/);
        assert.deepStrictEqual(lastRun().resources.map((resource) => resource.name), []);
        assert.deepStrictEqual(unhandled.map(String), []);
    });

    it("mock: the registry hosts come from the checked account, for the packs and for private images in their own region", async () => {
        const { caught, run } = await runCollectingUnhandled({
            overrides: { ecrPublicImages: false, ecrImageRegion: "eu-central-1" },
            mockInvoke: (token, result) => (token === "aws:index/getCallerIdentity:getCallerIdentity" ? { ...result, accountId: "210987654321" } : undefined),
        });
        assert.strictEqual(caught, undefined);
        const env = run!.outputs.setupEnvironment as Record<string, string>;
        assert.strictEqual(env.ECR_PACK_REGISTRY, "210987654321.dkr.ecr.us-west-2.amazonaws.com");
        assert.strictEqual(env.ECR_IMAGE_REGISTRY, "210987654321.dkr.ecr.eu-central-1.amazonaws.com");
    });
});
