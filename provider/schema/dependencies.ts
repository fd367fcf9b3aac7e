/**
 * The provider plugins the package's components register resources of (Construct), declared in
 * the package schema (`dependencies`, pulumi.json) so that tooling reading the schema knows them:
 * vSphere (the templates folder, the file-server VM) at the version our thin vSphere declarations
 * follow, and Command (the setup run, the packs, the file-server publish), Docker (file server in
 * docker mode) and AWS (ECR) at the versions of the installed SDKs, which are the versions their
 * resources ask the engine for. README "The Pulumi package" lists the same plugins for
 * installing into another project; tests/unit/installDocs.test.ts keeps the README in step with
 * package-lock.json and vsphereSdk.ts, tests/plugin/schema.test.ts the schema.
 */

export interface PackageDependency {
    name: string;
    version: string;
}

/* eslint-disable @typescript-eslint/no-var-requires */
/**
 * Read when the schema is built (GetSchema), never at plugin start: vsphereSdk.ts loads the
 * whole SDK (about 1 s), which only `pulumi package get-schema`/`add` ask for.
 */
export function packageDependencies(): PackageDependency[] {
    const sdkPlugin = (name: string): PackageDependency => {
        const manifest = require(`@pulumi/${name}/package.json`) as { version: string; pulumi?: { name?: string; version?: string } };
        return { name: manifest.pulumi?.name ?? name, version: manifest.pulumi?.version ?? manifest.version };
    };
    const { VSPHERE_PROVIDER_VERSION } = require("../../components/vsphere/vsphereSdk") as typeof import("../../components/vsphere/vsphereSdk");
    return [{ name: "vsphere", version: VSPHERE_PROVIDER_VERSION }, sdkPlugin("command"), sdkPlugin("docker"), sdkPlugin("aws")];
}
/* eslint-enable @typescript-eslint/no-var-requires */
