/**
 * The palette-airgap provider: what `pulumi.provider.main` serves over the engine's gRPC
 * ResourceProvider protocol. Each CRUD call is routed by the type in its URN to one custom
 * resource (customResources.ts) with plain values; what it returns goes back with the secret
 * properties wrapped as protocol secrets.
 *
 * A failure inside one call (a bad state, a bug, a network error) becomes that call's error and
 * never ends the process: the engine keeps using the plugin for every other resource.
 */
import * as fs from "fs";
import * as path from "path";
// Types only: the SDK's index loads all of it (about 1 s and 60 MiB), which the plugin must not
// pay before it prints its port (the engine starts it on every preview; bench/PLUGIN-START.md).
// The components (Construct, with its per-call scope) and the schema load at their first call.
import type * as pulumi from "@pulumi/pulumi";
import type { DiffResult, ResourceProvider } from "../components/resourceProvider";
import { CUSTOM_RESOURCES, type CustomResourceType } from "./customResources";
import { concealProperties, revealProperties } from "./wire";

/* eslint-disable @typescript-eslint/no-var-requires */
const lazy = {
    components: () => require("./components") as typeof import("./components"),
    packageSchema: () => require("./schema/packageSchema") as typeof import("./schema/packageSchema"),
    constructScope: () => require("./constructScope") as typeof import("./constructScope"),
};
/* eslint-enable @typescript-eslint/no-var-requires */

export const PACKAGE_NAME = "palette-airgap";

/** The package's version (package.json), also the plugin's; found from source (provider/) and compiled (dist/provider/) alike. */
export function packageVersion(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (fs.existsSync(file)) {
            const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
            if (manifest.name === PACKAGE_NAME && manifest.version) return manifest.version;
        }
        if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json of ${PACKAGE_NAME} above ${__dirname}`);
    }
}

/** `urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>` → `<type>`. */
export function typeOfUrn(urn: string): string {
    const qualifiedType = urn.split("::")[2] ?? "";
    return qualifiedType.split("$").pop() ?? "";
}

export class PaletteAirgapProvider implements pulumi.provider.Provider {
    readonly version = packageVersion();
    private readonly resources = new Map<string, CustomResourceType>();

    constructor(resources: readonly CustomResourceType[] = CUSTOM_RESOURCES) {
        for (const resource of resources) {
            this.resources.set(resource.token, resource);
        }
    }

    /** The package schema (Pulumi's package metaschema), built from the typed specs of every resource and component. */
    async getSchema(): Promise<string> {
        return JSON.stringify(lazy.packageSchema().packageSchema(this.version));
    }

    /** Builds a component for a program in another language; its children are registered with the engine from here. */
    async construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<pulumi.provider.ConstructResult> {
        const { COMPONENTS } = lazy.components();
        const construct = COMPONENTS.get(type);
        if (!construct) {
            throw new Error(`${PACKAGE_NAME}: unknown component type "${type}"; this plugin constructs ${[...COMPONENTS.keys()].join(", ")}`);
        }
        // In its own scope: a child failing late fails this Construct only, and nothing more of it is registered (./constructScope).
        return lazy.constructScope().runConstruct(`${type} ${name}`, async () => {
            const { resource, state } = await construct(name, inputs, options);
            return { urn: resource.urn, state };
        });
    }

    async check(urn: string, olds: any, news: any): Promise<pulumi.provider.CheckResult> {
        return this.serve(urn, "check", async (type, provider) => {
            const previous = revealProperties(olds);
            const next = revealProperties(news);
            const result = await provider.check(previous.values, next.values);
            return {
                inputs: concealProperties(result.inputs, [...type.secretProperties, ...next.secretKeys]),
                failures: result.failures ?? [],
            };
        });
    }

    /** The SDK's DiffResult and, per changed property, its kind (sent on the wire by ./diffService, which the SDK's server would not). */
    async diff(id: string, urn: string, olds: any, news: any): Promise<DiffResult> {
        return this.serve(urn, "diff", (_type, provider) => provider.diff(id, revealProperties(olds).values, revealProperties(news).values));
    }

    async create(urn: string, inputs: any): Promise<pulumi.provider.CreateResult> {
        return this.serve(urn, "create", async (type, provider) => {
            const { values, secretKeys } = revealProperties(inputs);
            const result = await provider.create(values);
            return { id: result.id, outs: concealProperties(result.outs, [...type.secretProperties, ...secretKeys]) };
        });
    }

    async read(id: string, urn: string, props?: any): Promise<pulumi.provider.ReadResult> {
        return this.serve(urn, "read", async (type, provider) => {
            const { values, secretKeys } = revealProperties(props);
            const result = await provider.read(id, values);
            if (!result.id) {
                return {}; // gone: the engine drops it from the state
            }
            return { id: result.id, props: concealProperties(result.props, [...type.secretProperties, ...secretKeys]) };
        });
    }

    async update(id: string, urn: string, olds: any, news: any): Promise<pulumi.provider.UpdateResult> {
        return this.serve(urn, "update", async (type, provider) => {
            const next = revealProperties(news);
            const result = await provider.update(id, revealProperties(olds).values, next.values);
            return { outs: concealProperties(result.outs, [...type.secretProperties, ...next.secretKeys]) };
        });
    }

    async delete(id: string, urn: string, props: any): Promise<void> {
        return this.serve(urn, "delete", (_type, provider) => provider.delete(id, revealProperties(props).values));
    }

    /**
     * Runs one call for the resource type of `urn`. An expected failure (an Error of our code:
     * a refused delete, a failed check run, a network error) goes back as it is; anything else
     * (a TypeError of a bug, a non-Error) becomes an Error naming the type and the call. Either
     * way the gRPC server answers this call with it, and the plugin keeps serving.
     */
    private async serve<T>(urn: string, call: string, body: (type: CustomResourceType, provider: ResourceProvider) => Promise<T>): Promise<T> {
        const token = typeOfUrn(urn);
        const type = this.resources.get(token);
        if (!type) {
            throw new Error(`${PACKAGE_NAME}: unknown resource type "${token}"; this plugin serves ${[...this.resources.keys()].join(", ")}`);
        }
        try {
            return await body(type, type.provider);
        } catch (error) {
            if (error instanceof Error && !(error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError)) {
                throw error;
            }
            const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
            throw new Error(`${PACKAGE_NAME}: ${call} of ${token} failed unexpectedly (${message}); the plugin keeps running: check the resource's state, and report this with the plugin's log`);
        }
    }
}
