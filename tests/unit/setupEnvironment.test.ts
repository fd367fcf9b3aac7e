import * as assert from "assert";
import { SetupTarget, setupEnvironment } from "../../components";

describe("setupEnvironment", () => {
    it("returns exactly the four OCI variables for Harbor and generic registries", () => {
        const env = setupEnvironment({
            kind: "oci",
            imageRegistry: "example.internal.com",
            imageBase: "spectro-images",
            packRegistry: "10.10.100.48",
            packBase: "spectro-packs",
        });
        assert.deepStrictEqual(env, {
            OCI_IMAGE_REGISTRY: "example.internal.com",
            OCI_IMAGE_BASE: "spectro-images",
            OCI_PACK_REGISTRY: "10.10.100.48",
            OCI_PACK_BASE: "spectro-packs",
        });
    });

    it("returns exactly the six ECR variables, the image base in the IMAGE variable (the procedure's example swaps them)", () => {
        const env = setupEnvironment({
            kind: "ecr",
            imageRegistry: "public.ecr.aws/1234567890",
            imageBase: "spectro-images",
            imageRegion: "us-east-1",
            packRegistry: "123456789.dkr.ecr.us-west-2.amazonaws.com",
            packBase: "spectro-packs",
            packRegion: "us-west-2",
        });
        assert.deepStrictEqual(env, {
            ECR_IMAGE_REGISTRY: "public.ecr.aws/1234567890",
            ECR_IMAGE_BASE: "spectro-images",
            ECR_IMAGE_REGISTRY_REGION: "us-east-1",
            ECR_PACK_REGISTRY: "123456789.dkr.ecr.us-west-2.amazonaws.com",
            ECR_PACK_BASE: "spectro-packs",
            ECR_PACK_REGISTRY_REGION: "us-west-2",
        });
    });

    it("removes https:// and a trailing slash, keeps a port", () => {
        const env = setupEnvironment({ kind: "oci", imageRegistry: "https://harbor.lab:8443/", imageBase: "img", packRegistry: "HTTPS://harbor.lab", packBase: "packs" });
        assert.strictEqual(env.OCI_IMAGE_REGISTRY, "harbor.lab:8443");
        assert.strictEqual(env.OCI_PACK_REGISTRY, "harbor.lab");
    });

    const oci: SetupTarget = { kind: "oci", imageRegistry: "h", imageBase: "spectro-images", packRegistry: "h", packBase: "spectro-packs" };
    const ecr: SetupTarget = {
        kind: "ecr", imageRegistry: "public.ecr.aws/x", imageBase: "spectro-images", imageRegion: "us-east-1",
        packRegistry: "1.dkr.ecr.us-east-1.amazonaws.com", packBase: "spectro-packs", packRegion: "us-east-1",
    };
    const rejections: [string, SetupTarget, string][] = [
        ["http:// image registry", { ...oci, imageRegistry: "http://harbor.lab" }, "imageRegistry"],
        ["http:// pack registry", { ...oci, packRegistry: "HTTP://harbor.lab" }, "packRegistry"],
        ["ftp:// registry", { ...oci, packRegistry: "ftp://harbor.lab" }, "packRegistry"],
        ["empty registry", { ...oci, imageRegistry: "" }, "imageRegistry"],
        ["empty image base", { ...oci, imageBase: "" }, "imageBase"],
        ["blank pack base", { ...oci, packBase: "  " }, "packBase"],
        ["upper-case base", { ...oci, packBase: "Spectro-Packs" }, "packBase"],
        ["malformed image region", { ...ecr, imageRegion: "useast1" }, "imageRegion"],
        ["empty pack region", { ...ecr, packRegion: "" }, "packRegion"],
        ["region with capitals", { ...ecr, packRegion: "US-EAST-1" }, "packRegion"],
        ["empty ECR base", { ...ecr, imageBase: "" }, "imageBase"],
        ["http:// ECR registry", { ...ecr, packRegistry: "http://1.dkr.ecr.us-east-1.amazonaws.com" }, "packRegistry"],
    ];
    for (const [label, target, field] of rejections) {
        it(`rejects ${label}, naming ${field}`, () => {
            assert.throws(() => setupEnvironment(target), (error: Error) => error.message.includes(field));
        });
    }

    it("accepts GovCloud and China regions", () => {
        const env = setupEnvironment({ ...ecr, imageRegion: "us-gov-west-1", packRegion: "cn-north-1" } as SetupTarget);
        assert.strictEqual(env.ECR_PACK_REGISTRY_REGION, "cn-north-1");
    });

    it("rejects an unknown kind", () => {
        assert.throws(() => setupEnvironment({ kind: "harbor" } as unknown as SetupTarget), /kind/);
    });
});
