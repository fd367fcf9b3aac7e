/**
 * Dynamic providers that load their implementation from the project at call time.
 *
 * Pulumi stores a dynamic provider in the state as serialized code and runs it in its own Node
 * process (the dynamic-provider host, started in the project directory). Serializing our
 * implementation by value would capture the SOAP client, the OVA reader and their libraries:
 * slow, fragile (bundled npm code does not serialize), and frozen into the state, so a fixed bug
 * would stay in every refresh and destroy. The serialized shim below holds only a module path:
 * each call requires the implementation from the project (TypeScript through the project's own
 * ts-node), so the state always runs the code of the checkout it is used with.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * A provider whose methods call `exportName` of `modulePath` (relative to the project root,
 * without extension). The project root is `PALETTE_AIRGAP_PROJECT_ROOT` if set, else the host's
 * working directory, which Pulumi sets to the project directory.
 */
export function lazyProvider(modulePath: string, exportName: string): pulumi.dynamic.ResourceProvider {
    const load = (): pulumi.dynamic.ResourceProvider => {
        const nodePath = require("path");
        const root: string = process.env.PALETTE_AIRGAP_PROJECT_ROOT || process.cwd();
        if (!require.extensions[".ts"]) {
            require(require.resolve("ts-node", { paths: [root] })).register({ transpileOnly: true, project: nodePath.join(root, "tsconfig.json") });
        }
        const implementation = require(nodePath.join(root, modulePath))[exportName];
        if (!implementation) {
            throw new Error(`palette-airgap: ${modulePath} has no export ${exportName} under ${root}; run Pulumi from the project directory`);
        }
        return implementation;
    };
    return {
        check: (olds, news) => load().check!(olds, news),
        diff: (id, olds, news) => load().diff!(id, olds, news),
        create: (inputs) => load().create(inputs),
        read: (id, props) => load().read!(id, props),
        update: (id, olds, news) => load().update!(id, olds, news),
        delete: (id, props) => load().delete!(id, props),
    };
}
