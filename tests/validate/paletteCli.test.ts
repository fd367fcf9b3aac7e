/**
 * paletteCliAnswers under the SDK's mock engine: every answer `palette ec install` asks for,
 * for a Harbor (OCI) registry and for ECR (private packs, ECR Public or private images), with the
 * passwords secret (the whole output then being secret).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { paletteCliAnswers, type PaletteCliAnswers, type PaletteCliRegistry } from "../../components/validate/paletteCli";
import { runComponents, valueOf } from "../support/componentMocks";

const HARBOR: PaletteCliRegistry = {
    kind: "harbor",
    packRegistry: "harbor.lab.internal",
    packBase: "spectro-packs",
    imageKind: "harbor",
    imageRegistry: "harbor.lab.internal",
    imageBase: "spectro-images",
    insecure: false,
    caFile: "/etc/pki/harbor-ca.crt",
    imageInsecure: false,
    imageCaFile: "/etc/pki/harbor-ca.crt",
};
const ECR_PUBLIC: PaletteCliRegistry = {
    kind: "ecr",
    packRegistry: "123456789012.dkr.ecr.us-west-2.amazonaws.com",
    packBase: "spectro-packs",
    imageKind: "ecr",
    imageRegistry: "public.ecr.aws/a1b2c3d4",
    imageBase: "spectro-images",
    packRegion: "us-west-2",
    imageRegion: "us-east-1",
    insecure: false,
    imageInsecure: false,
};
const PASSWORD = "harbor-CLI-Pa55-SECRET";

async function evaluate(build: () => pulumi.Output<PaletteCliAnswers>): Promise<{ value: PaletteCliAnswers; secret: boolean }> {
    const { value: output } = await runComponents(build);
    return { value: await valueOf(output), secret: await pulumi.isSecret(output) };
}

describe("paletteCliAnswers (mocks)", function () {
    it("harbor: OCI answers for packs and images, admin/admin SCAR, CA path, template folder; secret as a whole", async function () {
        const { value, secret } = await evaluate(() =>
            paletteCliAnswers({
                scarUrl: pulumi.output("http://10.10.100.50:8080/"),
                registry: pulumi.output(HARBOR),
                registryUsername: "palette-installer",
                registryPassword: pulumi.secret(PASSWORD),
                templateFolder: pulumi.output("/dc-lab/vm/spectro-templates"),
                templateName: pulumi.output("r_u-2204-0-k-12510-0"),
            }),
        );
        assert.strictEqual(secret, true, "the output holding the registry password is secret");
        assert.deepStrictEqual(value, {
            scar: { url: "http://10.10.100.50:8080", username: "admin", password: "admin" },
            registryType: "OCI",
            packs: {
                name: "spectro-packs",
                endpoint: "harbor.lab.internal",
                basePath: "spectro-packs",
                username: "palette-installer",
                password: PASSWORD,
                insecure: false,
                caCertificatePath: "/etc/pki/harbor-ca.crt",
            },
            usePublicRegistryForImages: false,
            images: {
                name: "spectro-images",
                endpoint: "harbor.lab.internal",
                basePath: "spectro-images",
                username: "palette-installer",
                password: PASSWORD,
                insecure: false,
                caCertificatePath: "/etc/pki/harbor-ca.crt",
            },
            imageTemplateFolder: "/dc-lab/vm/spectro-templates",
            template: "r_u-2204-0-k-12510-0",
        });
    });

    it("harbor: a plain (non-secret) password input is made secret; names and SCAR credentials can be given", async function () {
        const { value, secret } = await evaluate(() =>
            paletteCliAnswers({
                scarUrl: "https://manifests.lab.internal",
                scarUsername: "scar",
                scarPassword: "scar-PW",
                registry: { ...HARBOR, insecure: true, caFile: undefined, imageInsecure: true, imageCaFile: undefined },
                registryUsername: "palette-installer",
                registryPassword: PASSWORD,
                packsRegistryName: "lab-packs",
                imagesRegistryName: "lab-images",
                templateFolder: "/dc-lab/vm/spectro-templates",
                templateName: "r_u-2204-0-k-12510-0",
            }),
        );
        assert.strictEqual(secret, true);
        assert.deepStrictEqual(value.scar, { url: "https://manifests.lab.internal", username: "scar", password: "scar-PW" });
        assert.deepStrictEqual([value.packs.name, value.images.name], ["lab-packs", "lab-images"]);
        assert.deepStrictEqual([value.packs.insecure, value.packs.caCertificatePath], [true, ""]);
    });

    it("ecr with ECR Public images: OCI ECR answers with regions and private flags, no password, nothing secret", async function () {
        const { value, secret } = await evaluate(() =>
            paletteCliAnswers({
                scarUrl: "http://10.20.0.15",
                registry: ECR_PUBLIC,
                templateFolder: "/dc-prod/vm/palette/spectro-templates",
                templateName: "r_u-2204-0-k-12510-0",
            }),
        );
        assert.strictEqual(secret, false, "nothing secret in an ECR answer set without SCAR credentials");
        assert.strictEqual(value.registryType, "OCI ECR");
        const credentials = value.packs.credentials;
        assert.match(credentials!, /access key and secret key of an IAM user/);
        assert.deepStrictEqual(value.packs, {
            name: "spectro-packs",
            endpoint: "123456789012.dkr.ecr.us-west-2.amazonaws.com",
            basePath: "spectro-packs",
            region: "us-west-2",
            private: true,
            credentials,
            insecure: false,
            caCertificatePath: "",
        });
        assert.deepStrictEqual(value.images, {
            name: "spectro-images",
            endpoint: "public.ecr.aws/a1b2c3d4",
            basePath: "spectro-images",
            region: "us-east-1",
            private: false,
            credentials,
            insecure: false,
            caCertificatePath: "",
        });
        assert.strictEqual(value.usePublicRegistryForImages, false);
        assert.strictEqual(value.imageTemplateFolder, "/dc-prod/vm/palette/spectro-templates");
        assert.ok(!("username" in value.packs) && !("password" in value.images));
    });

    it("ecr with private images: both registries private in the same region; SCAR credentials make it secret", async function () {
        const { value, secret } = await evaluate(() =>
            paletteCliAnswers({
                scarUrl: "http://10.20.0.15",
                scarPassword: pulumi.secret("scar-Secret-PW"),
                scarUsername: "scar",
                registry: { ...ECR_PUBLIC, imageRegistry: ECR_PUBLIC.packRegistry, imageRegion: "us-west-2" },
                templateFolder: "/dc-prod/vm/spectro-templates",
                templateName: "r_u-2204-0-k-12510-0",
            }),
        );
        assert.strictEqual(secret, true);
        assert.deepStrictEqual([value.images.endpoint, value.images.region, value.images.private], ["123456789012.dkr.ecr.us-west-2.amazonaws.com", "us-west-2", true]);
    });

    it("refuses a harbor/generic registry without credentials and a SCAR URL that is not http(s)", async function () {
        await assert.rejects(
            evaluate(() => paletteCliAnswers({ scarUrl: "http://x", registry: { ...HARBOR, kind: "generic" }, templateFolder: "/dc/vm/t", templateName: "r_x" })),
            /a generic registry needs registryUsername and registryPassword/,
        );
        await assert.rejects(
            evaluate(() => paletteCliAnswers({ scarUrl: "10.0.0.1:8080", registry: ECR_PUBLIC, templateFolder: "/dc/vm/t", templateName: "r_x" })),
            /the SCAR URL "10\.0\.0\.1:8080" is not an http:\/\/ or https:\/\/ URL/,
        );
    });
});
