/**
 * Instantiates components directly (not through index.ts) under the Pulumi SDK's mock engine
 * (`pulumi.runtime.setMocks`) and records every registration as the engine would receive it:
 * inputs exactly as serialized (secrets as signature objects), which input paths are secret,
 * provider reference, explicit dependencies and `protect`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { secretPaths, unwrapSecrets } from "./secretWire";

/** Re-exported for the tests that read wire inputs. */
export { unwrapSecrets, withoutSecrets } from "./secretWire";

export interface Registration {
    type: string;
    name: string;
    urn: string;
    /** URN of the parent. */
    parent?: string;
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, any>;
    /** Inputs as serialized to the engine (secrets appear as signature objects). */
    wireInputs: Record<string, unknown>;
    /** Dotted paths of inputs sent as secrets, e.g. `environment.PASSWORD`. */
    secretPaths: string[];
    /** Provider reference `<provider urn>::<provider id>`, when explicit. */
    provider?: string;
    /** URNs of the explicit dependencies (dependsOn and resources behind input Outputs). */
    dependencies: string[];
    protect: boolean;
    custom: boolean;
}

export interface ComponentRunOptions {
    /** The mock provider's create; default: state = inputs. */
    newResource?: (args: MockResourceArgs) => MockResourceResult | Promise<MockResourceResult>;
    stack?: string;
    preview?: boolean;
    /** Rejects the run at once when it rejects (e.g. a failed mock create whose dependents would wait forever). */
    abort?: Promise<never>;
}


let active: Registration[] | undefined;

const mocksModule = require("@pulumi/pulumi/runtime/mocks");
const originalRegister = mocksModule.MockMonitor.prototype.registerResource;
mocksModule.MockMonitor.prototype.registerResource = function (req: any, callback: any) {
    const sink = active;
    const wire = req.getObject().toJavaScript() as Record<string, unknown>;
    const wrapped = (error: unknown, response: any) => {
        if (!error && sink) {
            sink.push({
                type: req.getType(),
                name: req.getName(),
                urn: response.getUrn(),
                parent: req.getParent() || undefined,
                inputs: unwrapSecrets(wire) as Record<string, any>,
                wireInputs: wire,
                secretPaths: secretPaths(wire),
                provider: req.getProvider() || undefined,
                dependencies: req.getDependenciesList(),
                protect: req.getProtect() === true,
                custom: req.getCustom(),
            });
        }
        callback(error, response);
    };
    return originalRegister.call(this, req, wrapped);
};

const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/**
 * Runs `program` under mocks and waits for every registration it started. Returns what
 * `program` returned and the registrations (also when the program threw: then rethrows).
 */
export async function runComponents<T>(program: () => T, options: ComponentRunOptions = {}): Promise<{ value: T; registrations: Registration[] }> {
    const registrations: Registration[] = [];
    const newResource = options.newResource ?? ((args: MockResourceArgs) => ({ id: `${args.name}-id`, state: { ...args.inputs } }));
    await pulumi.runtime.setMocks(
        { newResource, call: (args) => args.inputs },
        "palette-airgap",
        options.stack ?? "test",
        options.preview ?? false,
    );
    active = registrations;
    try {
        const value = program();
        // A program that returns a promise (a Construct) registers as it runs: wait for it first.
        await Promise.resolve(value).catch(() => undefined);
        await (options.abort ? Promise.race([settings.waitForRPCs(), options.abort]) : settings.waitForRPCs());
        return { value, registrations };
    } finally {
        if (!options.abort) {
            await settings.waitForRPCs().catch(() => undefined);
        }
        active = undefined;
    }
}

/** The resolved value of an Output (unknown during preview resolves to undefined). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}

/** The resources an Output's value depends on. */
export async function resourcesOf(output: pulumi.Output<unknown>): Promise<pulumi.Resource[]> {
    return [...(await (output as unknown as { allResources(): Promise<Set<pulumi.Resource>> }).allResources())];
}

export function byType(registrations: Registration[], type: string): Registration[] {
    return registrations.filter((r) => r.type === type);
}

export function one(registrations: Registration[], type: string, name?: string): Registration {
    const found = registrations.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) {
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${registrations.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    }
    return found[0];
}

