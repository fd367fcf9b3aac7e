/**
 * The environment variables the airgap setup binary reads (procedure step 8), built in one place
 * from the registry actually configured or created. The procedure's own ECR example swaps
 * ECR_IMAGE_BASE and ECR_PACK_BASE; building them here from named fields prevents that mistake.
 */

/** Where the setup binary pushes: an OCI registry (Harbor, generic) or AWS ECR. */
export type SetupTarget =
    | { kind: "oci"; imageRegistry: string; imageBase: string; packRegistry: string; packBase: string }
    | {
          kind: "ecr";
          imageRegistry: string;
          imageBase: string;
          imageRegion: string;
          packRegistry: string;
          packBase: string;
          packRegion: string;
      };

/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`, `cn-north-1`. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/** Returns exactly the variables the setup binary reads for `target`. */
export function setupEnvironment(target: SetupTarget): Record<string, string> {
    if (target === null || typeof target !== "object") {
        throw new Error(`setupEnvironment: target must be an object with kind "oci" or "ecr"`);
    }
    switch (target.kind) {
        case "oci":
            return {
                OCI_IMAGE_REGISTRY: registryHost(target.imageRegistry, "imageRegistry"),
                OCI_IMAGE_BASE: repositoryBase(target.imageBase, "imageBase"),
                OCI_PACK_REGISTRY: registryHost(target.packRegistry, "packRegistry"),
                OCI_PACK_BASE: repositoryBase(target.packBase, "packBase"),
            };
        case "ecr":
            return {
                ECR_IMAGE_REGISTRY: registryHost(target.imageRegistry, "imageRegistry"),
                ECR_IMAGE_BASE: repositoryBase(target.imageBase, "imageBase"),
                ECR_IMAGE_REGISTRY_REGION: awsRegion(target.imageRegion, "imageRegion"),
                ECR_PACK_REGISTRY: registryHost(target.packRegistry, "packRegistry"),
                ECR_PACK_BASE: repositoryBase(target.packBase, "packBase"),
                ECR_PACK_REGISTRY_REGION: awsRegion(target.packRegion, "packRegion"),
            };
        default:
            throw new Error(
                `setupEnvironment: kind must be "oci" or "ecr", got ${JSON.stringify((target as { kind: unknown }).kind)}`,
            );
    }
}

/**
 * `registry.example.com`, `10.10.100.48:8443` or `public.ecr.aws/abc123` (ECR Public has a path).
 * `https://` is removed; `http://` is rejected: the procedure requires HTTPS registries.
 */
export function registryHost(value: unknown, field: string): string {
    if (typeof value !== "string" || value.trim() === "") {
        throw new Error(`setupEnvironment: ${field} must be a registry host such as harbor.example.internal, got ${JSON.stringify(value)}`);
    }
    const trimmed = value.trim();
    if (/^http:\/\//i.test(trimmed)) {
        throw new Error(
            `setupEnvironment: ${field} "${trimmed}" uses http://; the setup binary needs an HTTPS registry: ` +
                `give ${trimmed.replace(/^http:\/\//i, "")}`,
        );
    }
    const host = trimmed.replace(/^https:\/\//i, "").replace(/\/+$/, "");
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host) || host === "" || /\s/.test(host) || host.startsWith("/")) {
        throw new Error(`setupEnvironment: ${field} "${trimmed}" is not a registry host such as harbor.example.internal or 10.10.100.48:8443`);
    }
    return host;
}

/** A repository namespace such as `spectro-packs`: non-empty, OCI path characters only. */
export function repositoryBase(value: unknown, field: string): string {
    const base = typeof value === "string" ? value.trim() : "";
    if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(base)) {
        throw new Error(
            `setupEnvironment: ${field} must be a repository base such as spectro-packs (lower case, digits, . _ - /), ` +
                `got ${JSON.stringify(value)}`,
        );
    }
    return base;
}

function awsRegion(value: unknown, field: string): string {
    if (typeof value !== "string" || !AWS_REGION_PATTERN.test(value)) {
        throw new Error(`setupEnvironment: ${field} must be an AWS region such as us-east-1, got ${JSON.stringify(value)}`);
    }
    return value;
}
