/**
 * OciRegistry under the SDK's mock engine: what each registry kind creates, with which inputs and
 * options (protect, providers), and the setup target and logins it hands to the runs.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { EcrRegistrySettings, OciRegistrySettings } from "../../components/config";
import { IMAGE_REGISTRY_PASSWORD_ENV, REGISTRY_PASSWORD_ENV } from "../../components/setup/binaryCommand";
import { setupEnvironment } from "../../components/setup/setupEnvironment";
import { OciRegistry, ecrAccountId, ecrPublicRegistry, ecrRegistryHost, harborProjectName } from "../../components/registry/ociRegistry";
import { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { Registration, byType, one, resourcesOf, runComponents, valueOf } from "../support/componentMocks";

const HARBOR_PROJECT = "palette-airgap:registry:HarborProject";
const ECR_REPOSITORY = "aws:ecr/repository:Repository";
const ECR_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate";
const ECR_PUBLIC_REPOSITORY = "aws:ecrpublic/repository:Repository";
const AWS_PROVIDER = "pulumi:providers:aws";
const COMPONENT = "palette-airgap:registry:OciRegistry";
const ACCOUNT = "123456789012";
const ALIAS = "abc123";

/** What the AWS provider would compute for the outputs OciRegistry reads. */
function awsMock(args: MockResourceArgs) {
    const state: Record<string, unknown> = { ...args.inputs };
    if (args.type === ECR_REPOSITORY) {
        state.registryId = ACCOUNT;
        state.repositoryUrl = `${ACCOUNT}.dkr.ecr.${args.inputs.region}.amazonaws.com/${args.inputs.name}`;
    }
    if (args.type === ECR_PUBLIC_REPOSITORY) {
        state.registryId = ACCOUNT;
        state.repositoryUri = `public.ecr.aws/${ALIAS}/${args.inputs.repositoryName}`;
    }
    if (args.type === HARBOR_PROJECT) {
        Object.assign(state, { projectId: 7, repoCount: 0, adopted: false });
    }
    return { id: `${args.name}-id`, state };
}

function harbor(over: Partial<OciRegistrySettings> = {}): OciRegistrySettings {
    return {
        kind: "harbor",
        endpoint: "harbor.lab.internal",
        username: "admin",
        password: pulumi.secret("harbor-Pa55-SECRET"),
        caFile: "/etc/pki/harbor-ca.crt",
        insecure: false,
        packBase: "spectro-packs",
        imageBase: "spectro-images",
        allowDeleteNonEmpty: false,
        protectContent: true,
        ...over,
    };
}

function ecr(over: Partial<EcrRegistrySettings> = {}): EcrRegistrySettings {
    const settings = { kind: "ecr" as const, region: "us-west-2", publicImages: true, packBase: "spectro-packs", imageBase: "spectro-images", allowDeleteNonEmpty: false, protectContent: true, ...over };
    return { ...settings, imageRegion: over.imageRegion ?? (settings.publicImages ? "us-east-1" : settings.region) };
}

function childrenOf(registrations: Registration[], parent: Registration): Registration[] {
    return registrations.filter((r) => r.parent === parent.urn);
}

describe("OciRegistry (components under the SDK's mock engine)", function () {
    describe("harbor", function () {
        it("creates two HarborProjects: the packs project private, the images project public, named by the bases", async function () {
            const { value: registry, registrations } = await runComponents(() => new OciRegistry("registry", { registry: harbor() }), { newResource: awsMock });
            const component = one(registrations, COMPONENT);
            const projects = byType(registrations, HARBOR_PROJECT);
            assert.deepStrictEqual(childrenOf(registrations, component).map((r) => r.type).sort(), [HARBOR_PROJECT, HARBOR_PROJECT]);
            assert.deepStrictEqual(
                projects.map((p) => [p.name, p.inputs.projectName, p.inputs.public]).sort(),
                [["registry-images", "spectro-images", true], ["registry-packs", "spectro-packs", false]],
            );
            for (const project of projects) {
                assert.strictEqual(project.inputs.endpoint, "harbor.lab.internal");
                assert.strictEqual(project.inputs.username, "admin");
                assert.strictEqual(project.inputs.caFile, "/etc/pki/harbor-ca.crt");
                assert.strictEqual(project.inputs.insecure, false);
                assert.strictEqual(project.inputs.allowDeleteNonEmpty, false, "non-empty projects are not deleted by default");
                assert.ok(project.secretPaths.includes("password"), "the password is sent as a secret");
                assert.strictEqual(project.protect, true, "protected like the ECR repositories (protectContent defaults to true here)");
            }
            const target = await valueOf(registry.setupTarget);
            assert.deepStrictEqual(target, {
                kind: "oci",
                imageRegistry: "harbor.lab.internal",
                imageBase: "spectro-images",
                packRegistry: "harbor.lab.internal",
                packBase: "spectro-packs",
            });
            assert.deepStrictEqual(await valueOf(registry.logins), [
                { kind: "password", registry: "harbor.lab.internal", username: "admin", passwordEnv: REGISTRY_PASSWORD_ENV, caFile: "/etc/pki/harbor-ca.crt" },
            ]);
            assert.strictEqual(registry.imagePassword, undefined, "one registry, one login: no second password");
            assert.strictEqual(await valueOf(registry.caFile), "/etc/pki/harbor-ca.crt");
            assert.strictEqual(await valueOf(registry.insecure), false);
            assert.ok(registry.password && (await pulumi.isSecret(registry.password)));
            // A run using the target waits for both projects.
            const deps = await resourcesOf(registry.setupTarget);
            assert.ok(deps.includes(registry.harborProjects!.packs!) && deps.includes(registry.harborProjects!.images!));
        });

        it("names each project after the first path segment of its base, passes allowDeleteNonEmpty", async function () {
            const { registrations } = await runComponents(
                () => new OciRegistry("registry", { registry: harbor({ packBase: "palette-packs/v4", imageBase: "palette-images/v4" }), allowDeleteNonEmpty: true }),
                { newResource: awsMock },
            );
            const projects = byType(registrations, HARBOR_PROJECT);
            assert.deepStrictEqual(projects.map((p) => p.inputs.projectName).sort(), ["palette-images", "palette-packs"]);
            assert.ok(projects.every((p) => p.inputs.allowDeleteNonEmpty === true));
        });

        it("images on a Harbor of their own: each project on its registry, with that registry's user, password and CA; two logins", async function () {
            const images = { kind: "harbor" as const, endpoint: "example.internal.com", username: "robot$images", password: pulumi.secret("images-Pa55-SECRET"), caFile: "/etc/pki/images-ca.crt", insecure: false };
            const { value: registry, registrations } = await runComponents(
                () => new OciRegistry("registry", { registry: harbor({ endpoint: "10.10.100.48", images, imageBase: "spectro-packs/images" }) }),
                { newResource: awsMock },
            );
            const projects = byType(registrations, HARBOR_PROJECT);
            assert.deepStrictEqual(
                projects.map((p) => [p.name, p.inputs.projectName, p.inputs.public, p.inputs.endpoint, p.inputs.username, p.inputs.password, p.inputs.caFile]).sort(),
                [
                    ["registry-images", "spectro-packs", true, "example.internal.com", "robot$images", "images-Pa55-SECRET", "/etc/pki/images-ca.crt"],
                    ["registry-packs", "spectro-packs", false, "10.10.100.48", "admin", "harbor-Pa55-SECRET", "/etc/pki/harbor-ca.crt"],
                ],
                "the same project name is fine on two Harbors",
            );
            assert.ok(projects.every((p) => p.secretPaths.includes("password")));
            assert.deepStrictEqual(await valueOf(registry.setupTarget), {
                kind: "oci", imageRegistry: "example.internal.com", imageBase: "spectro-packs/images", packRegistry: "10.10.100.48", packBase: "spectro-packs",
            });
            assert.deepStrictEqual(await valueOf(registry.logins), [
                { kind: "password", registry: "10.10.100.48", username: "admin", passwordEnv: REGISTRY_PASSWORD_ENV, caFile: "/etc/pki/harbor-ca.crt" },
                { kind: "password", registry: "example.internal.com", username: "robot$images", passwordEnv: IMAGE_REGISTRY_PASSWORD_ENV, caFile: "/etc/pki/images-ca.crt" },
            ]);
            assert.ok(registry.imagePassword && (await pulumi.isSecret(registry.imagePassword)));
            assert.strictEqual(await valueOf(registry.imageCaFile), "/etc/pki/images-ca.crt");
            assert.strictEqual(registry.imageKind, "harbor");
        });

        it("mixed kinds: a project only where the registry is a Harbor (packs on Harbor, images generic, and the reverse)", async function () {
            const other = { endpoint: "images.lab.internal:5000", username: "images", password: pulumi.secret("p"), insecure: true };
            const packsHarbor = await runComponents(
                () => new OciRegistry("registry", { registry: harbor({ images: { ...other, kind: "generic" } }) }),
                { newResource: awsMock },
            );
            assert.deepStrictEqual(byType(packsHarbor.registrations, HARBOR_PROJECT).map((p) => [p.inputs.projectName, p.inputs.endpoint]), [["spectro-packs", "harbor.lab.internal"]]);
            assert.deepStrictEqual((await valueOf(packsHarbor.value.logins))[1], {
                kind: "password", registry: "images.lab.internal:5000", username: "images", passwordEnv: IMAGE_REGISTRY_PASSWORD_ENV, insecure: true,
            });
            const imagesHarbor = await runComponents(
                () => new OciRegistry("registry", { registry: harbor({ kind: "generic", images: { ...other, kind: "harbor", insecure: false } }) }),
                { newResource: awsMock },
            );
            assert.deepStrictEqual(
                byType(imagesHarbor.registrations, HARBOR_PROJECT).map((p) => [p.inputs.projectName, p.inputs.public, p.inputs.endpoint]),
                [["spectro-images", true, "images.lab.internal:5000"]],
            );
            assert.deepStrictEqual(imagesHarbor.value.harborProjects?.packs, undefined);
        });

        it("refuses bases in one project (Harbor's public flag is per project)", async function () {
            await assert.rejects(
                runComponents(() => new OciRegistry("registry", { registry: harbor({ packBase: "palette/packs", imageBase: "palette/images" }) }), { newResource: awsMock }),
                (error: Error) => pulumi.RunError.isInstance(error) && /both in the Harbor project "palette"/.test(error.message),
            );
        });
    });

    describe("ecr, images in ECR Public", function () {
        it("creates the packs repository, a CREATE_ON_PUSH template for the packs prefix, and the public images repository through a us-east-1 provider", async function () {
            const { value: registry, registrations } = await runComponents(() => new OciRegistry("registry", { registry: ecr() }), { newResource: awsMock });
            const component = one(registrations, COMPONENT);
            assert.deepStrictEqual(
                childrenOf(registrations, component).map((r) => `${r.type} ${r.name}`).sort(),
                [
                    `${ECR_PUBLIC_REPOSITORY} registry-images`,
                    `${ECR_REPOSITORY} registry-packs`,
                    `${ECR_TEMPLATE} registry-packs-on-push`,
                    `${AWS_PROVIDER} registry-ecr-public`,
                ].sort(),
            );

            const packs = one(registrations, ECR_REPOSITORY);
            assert.strictEqual(packs.inputs.name, "spectro-packs");
            assert.strictEqual(packs.inputs.region, "us-west-2");
            assert.strictEqual(packs.inputs.imageTagMutability, "MUTABLE");
            assert.deepStrictEqual(packs.inputs.imageScanningConfiguration, { scanOnPush: true });
            assert.deepStrictEqual(packs.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
            assert.strictEqual(packs.inputs.forceDelete, false);
            assert.strictEqual(packs.protect, true, "the packs repository is protected");
            assert.strictEqual(packs.provider, undefined, "private ECR uses the stack's default provider");

            const template = one(registrations, ECR_TEMPLATE);
            assert.strictEqual(template.inputs.prefix, "spectro-packs");
            assert.deepStrictEqual(template.inputs.appliedFors, ["CREATE_ON_PUSH"]);
            assert.strictEqual(template.inputs.region, "us-west-2");
            assert.strictEqual(template.inputs.imageTagMutability, "MUTABLE");
            assert.deepStrictEqual(template.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
            assert.strictEqual(template.inputs.resourceTags, undefined, "no tags: they would need a customRoleArn");
            assert.strictEqual(template.protect, false);

            const provider = one(registrations, AWS_PROVIDER);
            assert.strictEqual(provider.inputs.region, "us-east-1");
            const images = one(registrations, ECR_PUBLIC_REPOSITORY);
            assert.strictEqual(images.inputs.repositoryName, "spectro-images");
            assert.strictEqual(images.inputs.region, "us-east-1");
            assert.strictEqual(images.inputs.forceDestroy, false);
            assert.strictEqual(images.protect, true);
            assert.ok(images.provider?.startsWith(`${provider.urn}::`), `ECR Public goes through the us-east-1 provider: ${images.provider}`);

            const target = await valueOf(registry.setupTarget);
            assert.deepStrictEqual(target, {
                kind: "ecr",
                imageRegistry: `public.ecr.aws/${ALIAS}`,
                imageBase: "spectro-images",
                imageRegion: "us-east-1",
                packRegistry: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`,
                packBase: "spectro-packs",
                packRegion: "us-west-2",
            });
            // The procedure's own example swaps these two; the target puts the images base into the IMAGE variables.
            assert.deepStrictEqual(setupEnvironment(target), {
                ECR_IMAGE_REGISTRY: `public.ecr.aws/${ALIAS}`,
                ECR_IMAGE_BASE: "spectro-images",
                ECR_IMAGE_REGISTRY_REGION: "us-east-1",
                ECR_PACK_REGISTRY: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`,
                ECR_PACK_BASE: "spectro-packs",
                ECR_PACK_REGISTRY_REGION: "us-west-2",
            });
            assert.deepStrictEqual(await valueOf(registry.logins), [
                { kind: "ecr", registry: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`, region: "us-west-2" },
                { kind: "ecr-public", registry: `public.ecr.aws/${ALIAS}` },
            ]);
            assert.strictEqual(await valueOf(registry.packRegistry), `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`);
            assert.strictEqual(await valueOf(registry.imageRegistry), `public.ecr.aws/${ALIAS}`);
            assert.strictEqual(await valueOf(registry.imageRegion), "us-east-1");
            assert.strictEqual(await valueOf(registry.caFile), undefined);
            assert.strictEqual(await valueOf(registry.insecure), false);
            assert.strictEqual(registry.password, undefined);
            // The run waits for the repositories and the template.
            const deps = await resourcesOf(registry.setupTarget);
            for (const resource of [registry.ecr!.packRepository, registry.ecr!.packTemplate, registry.ecr!.publicImageRepository!]) {
                assert.ok(deps.includes(resource));
            }
        });

        it("protectContent false and allowDeleteNonEmpty true: unprotected, forceDelete and forceDestroy", async function () {
            const { registrations } = await runComponents(
                () => new OciRegistry("registry", { registry: ecr(), protectContent: false, allowDeleteNonEmpty: true }),
                { newResource: awsMock },
            );
            const packs = one(registrations, ECR_REPOSITORY);
            const images = one(registrations, ECR_PUBLIC_REPOSITORY);
            assert.strictEqual(packs.protect, false);
            assert.strictEqual(images.protect, false);
            assert.strictEqual(packs.inputs.forceDelete, true);
            assert.strictEqual(images.inputs.forceDestroy, true);
        });

        it("uses the given providers instead of creating one", async function () {
            const { registrations } = await runComponents(
                () => {
                    const privateProvider = new aws.Provider("private", { region: "us-west-2" });
                    const publicProvider = new aws.Provider("public", { region: "us-east-1" });
                    return new OciRegistry("registry", { registry: ecr(), awsProvider: privateProvider, ecrPublicProvider: publicProvider });
                },
                { newResource: awsMock },
            );
            const providers = byType(registrations, AWS_PROVIDER);
            assert.deepStrictEqual(providers.map((p) => p.name).sort(), ["private", "public"], "no provider of its own");
            const urnOf = (name: string) => providers.find((p) => p.name === name)!.urn;
            assert.ok(one(registrations, ECR_REPOSITORY).provider?.startsWith(`${urnOf("private")}::`));
            assert.ok(one(registrations, ECR_TEMPLATE).provider?.startsWith(`${urnOf("private")}::`));
            assert.ok(one(registrations, ECR_PUBLIC_REPOSITORY).provider?.startsWith(`${urnOf("public")}::`));
        });
    });

    describe("ecr, images private (ecrPublicImages false)", function () {
        it("creates two private repositories and two CREATE_ON_PUSH templates, no ECR Public", async function () {
            const { value: registry, registrations } = await runComponents(
                () => new OciRegistry("registry", { registry: ecr({ publicImages: false, region: "eu-central-1" }) }),
                { newResource: awsMock },
            );
            assert.deepStrictEqual(byType(registrations, ECR_REPOSITORY).map((r) => r.inputs.name).sort(), ["spectro-images", "spectro-packs"]);
            assert.ok(byType(registrations, ECR_REPOSITORY).every((r) => r.protect && r.inputs.region === "eu-central-1"));
            const templates = byType(registrations, ECR_TEMPLATE);
            assert.deepStrictEqual(templates.map((t) => t.inputs.prefix).sort(), ["spectro-images", "spectro-packs"]);
            assert.ok(templates.every((t) => JSON.stringify(t.inputs.appliedFors) === '["CREATE_ON_PUSH"]'));
            assert.strictEqual(byType(registrations, ECR_PUBLIC_REPOSITORY).length, 0);
            assert.strictEqual(byType(registrations, AWS_PROVIDER).length, 0);
            const host = `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`;
            assert.deepStrictEqual(setupEnvironment(await valueOf(registry.setupTarget)), {
                ECR_IMAGE_REGISTRY: host,
                ECR_IMAGE_BASE: "spectro-images",
                ECR_IMAGE_REGISTRY_REGION: "eu-central-1",
                ECR_PACK_REGISTRY: host,
                ECR_PACK_BASE: "spectro-packs",
                ECR_PACK_REGISTRY_REGION: "eu-central-1",
            });
            assert.deepStrictEqual(await valueOf(registry.logins), [{ kind: "ecr", registry: host, region: "eu-central-1" }], "one login for the one registry");
        });
    });

    describe("generic", function () {
        it("creates nothing and targets the endpoint", async function () {
            const { value: registry, registrations } = await runComponents(
                () => new OciRegistry("registry", { registry: harbor({ kind: "generic", endpoint: "registry.dev.internal:5000", caFile: undefined, insecure: true }) }),
                { newResource: awsMock },
            );
            assert.deepStrictEqual(registrations.map((r) => r.type), [COMPONENT], "only the component itself");
            assert.deepStrictEqual(await valueOf(registry.setupTarget), {
                kind: "oci",
                imageRegistry: "registry.dev.internal:5000",
                imageBase: "spectro-images",
                packRegistry: "registry.dev.internal:5000",
                packBase: "spectro-packs",
            });
            assert.strictEqual(await valueOf(registry.insecure), true);
            assert.strictEqual(await valueOf(registry.caFile), undefined);
        });
    });

    describe("ECR account id (mock AWS)", function () {
        it("mock: an ecrAccountId that is not 12 digits is a RunError at construction, before any repository is registered", async function () {
            let registrations: Registration[] = [];
            await assert.rejects(
                runComponents(() => new OciRegistry("registry", { registry: ecr(), ecrAccountId: "12345" }), { newResource: awsMock }).then((r) => {
                    registrations = r.registrations;
                }),
                (error: Error) => pulumi.RunError.isInstance(error) && /ecrAccountId is "12345", not a 12-digit AWS account id/.test(error.message),
            );
            assert.deepStrictEqual(byType(registrations, ECR_REPOSITORY), []);
        });

        it("mock: with ecrAccountId the hosts use it, in each registry's region", async function () {
            const { value: registry } = await runComponents(
                () => new OciRegistry("registry", { registry: ecr({ publicImages: false, imageRegion: "eu-west-1" }), ecrAccountId: "210987654321" }),
                { newResource: awsMock },
            );
            assert.strictEqual(await valueOf(registry.packRegistry), "210987654321.dkr.ecr.us-west-2.amazonaws.com");
            assert.strictEqual(await valueOf(registry.imageRegistry), "210987654321.dkr.ecr.eu-west-1.amazonaws.com");
            assert.deepStrictEqual(await valueOf(registry.logins), [
                { kind: "ecr", registry: "210987654321.dkr.ecr.us-west-2.amazonaws.com", region: "us-west-2" },
                { kind: "ecr", registry: "210987654321.dkr.ecr.eu-west-1.amazonaws.com", region: "eu-west-1" },
            ]);
        });

        it("ecrAccountId() asks AWS nothing for a Harbor or generic registry", async function () {
            assert.strictEqual(await ecrAccountId({ ...harbor(), kind: "generic" }), undefined);
        });
    });

    describe("helpers", function () {
        it("derive registry hosts and project names", function () {
            assert.strictEqual(ecrRegistryHost(ACCOUNT, "us-west-2"), `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`);
            assert.strictEqual(ecrRegistryHost(ACCOUNT, "cn-north-1"), `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`);
            assert.throws(() => ecrRegistryHost("abc", "us-west-2"), /12-digit/);
            assert.strictEqual(ecrPublicRegistry(`public.ecr.aws/${ALIAS}/spectro-images`), `public.ecr.aws/${ALIAS}`);
            assert.strictEqual(ecrPublicRegistry(`public.ecr.aws/${ALIAS}/palette/spectro-images`), `public.ecr.aws/${ALIAS}`);
            assert.throws(() => ecrPublicRegistry(`${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/x`), /not an ECR Public/);
            assert.strictEqual(harborProjectName("spectro-packs"), "spectro-packs");
            assert.strictEqual(harborProjectName("palette/spectro-packs"), "palette");
        });
    });
});
