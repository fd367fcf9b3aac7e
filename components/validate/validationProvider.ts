/**
 * The dynamic provider behind Validation (`pulumi-nodejs:dynamic/validate:ValidationRun`),
 * loaded at call time through lazyProvider (dynamicProviderShim.ts): the state holds only the
 * loader, so every refresh runs the checks of the checkout.
 *
 * - create: runs every configured check; fails with the whole report when one fails.
 * - read (refresh, `pulumi preview --refresh`): runs the checks again and returns the new
 *   `report` and `passed`; never fails because a check failed, so the refresh records it.
 * - diff: a change when an input changed, or when the last report did not pass: so content
 *   that went missing behind Pulumi's back (manifests removed, a repository base emptied, the
 *   template turned back into a VM) shows as a pending update of the validation.
 * - update: runs the checks again (fails with the report, like create).
 * - delete: nothing to delete.
 *
 * Secrets (registryPassword, vspherePassword) arrive in the inputs; they are kept secret in the
 * state by the resource's `additionalSecretOutputs` and never appear in a report line or error.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import {
    checkEcrBases,
    checkHarborBases,
    checkManifestServer,
    checkOciBases,
    checkTemplate,
    formatCheckLine,
    redact,
    type CheckLine,
} from "./checks";

export type ValidationRegistryKind = "harbor" | "generic" | "ecr";

/** The inputs of a ValidationRun: one flat record, every group optional (its check runs when set). */
export interface ValidationInputs {
    /** Base URL of the manifest file server (Palette's SCAR). The `manifests` check runs when set. */
    scarUrl?: string;
    /** PEM CA of an https file server. */
    scarCaFile?: string;
    /** Skip TLS verification of an https file server. Default false. */
    scarInsecure?: boolean;
    /** harbor, generic or ecr. The `registry` check runs when set. */
    registryKind?: ValidationRegistryKind;
    /** harbor/generic: registry host[:port]. */
    registryEndpoint?: string;
    /** harbor/generic: registry user. */
    registryUsername?: string;
    /** harbor/generic: registry password (secret). */
    registryPassword?: string;
    /** harbor/generic: PEM CA of the registry. */
    registryCaFile?: string;
    /** harbor/generic: skip TLS verification. Default false. */
    registryInsecure?: boolean;
    /** Repository base of the packs. Default spectro-packs. */
    packBase?: string;
    /** Repository base of the images. Default spectro-images. */
    imageBase?: string;
    /** ecr: region of the private registry. */
    ecrRegion?: string;
    /** ecr: images in ECR Public. Default true. */
    ecrPublicImages?: boolean;
    /** vCenter host. The `template` check runs when set. */
    vsphereServer?: string;
    vsphereUser?: string;
    /** vCenter password (secret). */
    vspherePassword?: string;
    /** Default false. */
    vsphereAllowUnverifiedSsl?: boolean;
    vsphereCaFile?: string;
    datacenter?: string;
    /** Folder path under the datacenter's VM folder, e.g. spectro-templates. */
    templateFolder?: string;
    /** The r_ template name. */
    templateName?: string;
    /** Opaque text (JSON of the Validation's `triggers`): a change re-validates. */
    triggers?: string;
}

export interface ValidationOutputs extends ValidationInputs {
    /** One line per check: `ok   manifests: ...` / `FAIL registry: ...`. */
    report: string[];
    /** Every check passed. */
    passed: boolean;
}

/** The engine's marker of a value unknown during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Input keys compared by diff (every input). */
const INPUT_KEYS: (keyof ValidationInputs)[] = [
    "scarUrl", "scarCaFile", "scarInsecure",
    "registryKind", "registryEndpoint", "registryUsername", "registryPassword", "registryCaFile", "registryInsecure",
    "packBase", "imageBase", "ecrRegion", "ecrPublicImages",
    "vsphereServer", "vsphereUser", "vspherePassword", "vsphereAllowUnverifiedSsl", "vsphereCaFile",
    "datacenter", "templateFolder", "templateName", "triggers",
];

export const validationProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: ValidationInputs, news: ValidationInputs) {
        const inputs = withDefaults(news);
        const failures = checkInputs(inputs);
        return failures.length > 0 ? { inputs, failures } : { inputs };
    },

    async diff(_id: string, olds: ValidationOutputs, news: ValidationInputs) {
        const normalized = withDefaults(news);
        const changed = INPUT_KEYS.filter((key) => !same(olds[key], normalized[key]));
        return { changes: changed.length > 0 || olds.passed === false, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: ValidationInputs) {
        const outs = await validate(inputs);
        if (!outs.passed) {
            throw new Error(failureMessage(outs));
        }
        return { id: `validation-${crypto.randomUUID()}`, outs };
    },

    async read(id: string, props: ValidationOutputs) {
        return { id, props: await validate(props) };
    },

    async update(_id: string, _olds: ValidationOutputs, news: ValidationInputs) {
        const outs = await validate(news);
        if (!outs.passed) {
            throw new Error(failureMessage(outs));
        }
        return { outs };
    },

    async delete() {
        // Nothing exists outside the state.
    },
};

/** Runs every configured check (concurrently) and returns the inputs with `report` and `passed`. */
export async function validate(props: ValidationInputs): Promise<ValidationOutputs> {
    const inputs = inputsOf(withDefaults(props));
    const lines = await runChecks(inputs);
    const report = lines.map((line) => redact(formatCheckLine(line), [inputs.registryPassword, inputs.vspherePassword]));
    for (const line of report) {
        pulumi.log.info(`validation: ${line}`);
    }
    return withoutUndefined({ ...inputs, report, passed: lines.every((line) => line.ok) });
}

/** The check lines for `inputs`, in a fixed order (manifests, registry, template). */
export async function runChecks(inputs: ValidationInputs): Promise<CheckLine[]> {
    const checks: Promise<CheckLine>[] = [];
    if (inputs.scarUrl) {
        checks.push(checkManifestServer(inputs.scarUrl, { caFile: inputs.scarCaFile || undefined, insecure: inputs.scarInsecure }));
    }
    if (inputs.registryKind) {
        const packBase = inputs.packBase ?? "spectro-packs";
        const imageBase = inputs.imageBase ?? "spectro-images";
        const connection = {
            endpoint: inputs.registryEndpoint ?? "",
            username: inputs.registryUsername ?? "",
            password: inputs.registryPassword ?? "",
            caFile: inputs.registryCaFile || undefined,
            insecure: inputs.registryInsecure,
        };
        switch (inputs.registryKind) {
            case "harbor":
                checks.push(checkHarborBases(connection, packBase, imageBase));
                break;
            case "generic":
                checks.push(checkOciBases({ ...connection, packBase, imageBase }));
                break;
            case "ecr":
                checks.push(checkEcrBases({ region: inputs.ecrRegion ?? "", packBase, imageBase, publicImages: inputs.ecrPublicImages }));
                break;
            default:
                checks.push(Promise.resolve({ name: "registry", ok: false, detail: `unknown registryKind ${JSON.stringify(inputs.registryKind)}` }));
        }
    }
    if (inputs.vsphereServer) {
        checks.push(
            checkTemplate(
                {
                    server: inputs.vsphereServer,
                    user: inputs.vsphereUser ?? "",
                    password: inputs.vspherePassword ?? "",
                    allowUnverifiedSsl: inputs.vsphereAllowUnverifiedSsl,
                    caFile: inputs.vsphereCaFile || undefined,
                },
                inputs.datacenter ?? "",
                inputs.templateFolder ?? "",
                inputs.templateName ?? "",
            ),
        );
    }
    return Promise.all(checks);
}

function failureMessage(outs: ValidationOutputs): string {
    const failed = outs.report.filter((line) => line.startsWith("FAIL")).length;
    return `validation failed (${failed} of ${outs.report.length} checks):\n${outs.report.join("\n")}`;
}

function withDefaults(inputs: ValidationInputs): ValidationInputs {
    const out: ValidationInputs = { ...inputs };
    if (out.scarUrl) out.scarInsecure ??= false;
    if (out.registryKind) {
        out.packBase ??= "spectro-packs";
        out.imageBase ??= "spectro-images";
        if (out.registryKind === "ecr") out.ecrPublicImages ??= true;
        else out.registryInsecure ??= false;
    }
    if (out.vsphereServer) out.vsphereAllowUnverifiedSsl ??= false;
    return out;
}

/** Only the input keys (a read passes the stored outputs, which hold the last report too). */
function inputsOf(props: ValidationInputs): ValidationInputs {
    const out: Record<string, unknown> = {};
    for (const key of INPUT_KEYS) {
        if (props[key] !== undefined && props[key] !== null) out[key] = props[key];
    }
    return out as ValidationInputs;
}

function checkInputs(inputs: ValidationInputs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const known = (value: unknown) => value !== UNKNOWN;
    const require = (keys: (keyof ValidationInputs)[], why: string) => {
        for (const key of keys) {
            if (inputs[key] === undefined || inputs[key] === "") failures.push({ property: key, reason: `${key} is required ${why}` });
        }
    };
    if (!inputs.scarUrl && !inputs.registryKind && !inputs.vsphereServer) {
        failures.push({ property: "scarUrl", reason: "nothing to validate: set scarUrl, registryKind or vsphereServer" });
    }
    if (inputs.scarUrl && known(inputs.scarUrl) && !/^https?:\/\/[^/]/i.test(inputs.scarUrl)) {
        failures.push({ property: "scarUrl", reason: `"${inputs.scarUrl}" is not an http:// or https:// URL, e.g. http://10.10.100.50:8080` });
    }
    if (inputs.registryKind && known(inputs.registryKind)) {
        if (!["harbor", "generic", "ecr"].includes(inputs.registryKind)) {
            failures.push({ property: "registryKind", reason: `must be harbor, generic or ecr, got ${JSON.stringify(inputs.registryKind)}` });
        } else if (inputs.registryKind === "ecr") {
            require(["ecrRegion"], "for an ecr registry");
        } else {
            require(["registryEndpoint", "registryUsername", "registryPassword"], `for a ${inputs.registryKind} registry`);
        }
    }
    if (inputs.vsphereServer) {
        require(["vsphereUser", "vspherePassword", "datacenter", "templateFolder", "templateName"], "to check the template");
        if (inputs.templateName && known(inputs.templateName) && !inputs.templateName.startsWith("r_")) {
            failures.push({ property: "templateName", reason: `"${inputs.templateName}" must start with r_: Palette only finds templates named r_<name>` });
        }
    }
    return failures;
}

function same(a: unknown, b: unknown): boolean {
    return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The engine's Struct cannot carry undefined. */
function withoutUndefined<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
