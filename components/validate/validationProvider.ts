/**
 * The custom resource behind Validation (`palette-airgap:validate:ValidationRun`), served by the
 * provider plugin (provider/): every refresh runs the checks of the installed plugin.
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
 * Secrets (registryPassword, imageRegistryPassword, vspherePassword) arrive in the inputs; the
 * plugin returns them as secrets (the package schema marks them) and they never appear in a
 * report line or error.
 */
import * as crypto from "crypto";
import * as pulumi from "../pulumiLog";
import { absolutePathProblem, awsRegionProblem, oneOfProblem, repositoryBaseProblem } from "../configRules";
import { templateNameProblem } from "../names";
import { PropertyDiffs } from "../propertyDiff";
import { isKnown, type CheckFailure, type ResourceProvider } from "../resourceProvider";
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
export const VALIDATION_REGISTRY_KINDS: readonly ValidationRegistryKind[] = ["harbor", "generic", "ecr"];

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
    /** ecr with private images: region of the images registry. Default: ecrRegion. */
    ecrImageRegion?: string;
    /** harbor/generic: the images registry's kind, when the images have a registry of their own (imageRegistryEndpoint set). */
    imageRegistryKind?: "harbor" | "generic";
    /** harbor/generic: the images registry host[:port]. Unset: the images base is checked on the packs registry. */
    imageRegistryEndpoint?: string;
    /** The images registry's user. */
    imageRegistryUsername?: string;
    /** The images registry's password (secret). */
    imageRegistryPassword?: string;
    /** PEM CA of the images registry. */
    imageRegistryCaFile?: string;
    /** Skip TLS verification of the images registry. Default false. */
    imageRegistryInsecure?: boolean;
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

/** Input keys compared by diff (every input). */
const INPUT_KEYS: (keyof ValidationInputs)[] = [
    "scarUrl", "scarCaFile", "scarInsecure",
    "registryKind", "registryEndpoint", "registryUsername", "registryPassword", "registryCaFile", "registryInsecure",
    "packBase", "imageBase", "ecrRegion", "ecrPublicImages", "ecrImageRegion",
    "imageRegistryKind", "imageRegistryEndpoint", "imageRegistryUsername", "imageRegistryPassword", "imageRegistryCaFile", "imageRegistryInsecure",
    "vsphereServer", "vsphereUser", "vspherePassword", "vsphereAllowUnverifiedSsl", "vsphereCaFile",
    "datacenter", "templateFolder", "templateName", "triggers",
];

export const validationProvider: ResourceProvider<ValidationInputs, ValidationOutputs> = {
    async check(_olds, news) {
        const inputs = withDefaults(news);
        const failures = checkInputs(inputs);
        return failures.length > 0 ? { inputs, failures } : { inputs };
    },

    async diff(_id, olds, news) {
        const normalized = withDefaults(news);
        const diffs = new PropertyDiffs();
        for (const key of INPUT_KEYS) {
            if (!same(olds[key], normalized[key])) diffs.update(key, olds[key], normalized[key]);
        }
        if (olds.passed === false) {
            // The last run (a refresh's read) failed: the update runs the checks again, and the
            // preview names the outputs that will change, not only "something changed".
            diffs.update("passed", false, true).update("report", olds.report, olds.report);
        }
        return diffs.result(false);
    },

    async create(inputs) {
        const outs = await validate(inputs);
        if (!outs.passed) {
            throw new Error(failureMessage(outs));
        }
        return { id: `validation-${crypto.randomUUID()}`, outs };
    },

    async read(id, props) {
        return { id, props: await validate(props) };
    },

    async update(_id, _olds, news) {
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
    const report = lines.map((line) => redact(formatCheckLine(line), [inputs.registryPassword, inputs.imageRegistryPassword, inputs.vspherePassword]));
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
        const ociBases = (kind: string, conn: typeof connection, bases: string[]): Promise<CheckLine> =>
            kind === "harbor" ? checkHarborBases(conn, bases[0], bases[bases.length - 1]) : checkOciBases({ ...conn, packBase: bases[0], imageBase: bases[bases.length - 1] });
        switch (inputs.registryKind) {
            case "harbor":
            case "generic":
                if (inputs.imageRegistryEndpoint) {
                    // Each base on its own registry, with that registry's credentials and CA.
                    const images = {
                        endpoint: inputs.imageRegistryEndpoint,
                        username: inputs.imageRegistryUsername ?? "",
                        password: inputs.imageRegistryPassword ?? "",
                        caFile: inputs.imageRegistryCaFile || undefined,
                        insecure: inputs.imageRegistryInsecure,
                    };
                    checks.push(renamed("packs registry", ociBases(inputs.registryKind, connection, [packBase])));
                    checks.push(renamed("images registry", ociBases(inputs.imageRegistryKind ?? inputs.registryKind, images, [imageBase]), imageKeyNames));
                } else {
                    checks.push(ociBases(inputs.registryKind, connection, [packBase, imageBase]));
                }
                break;
            case "ecr":
                checks.push(checkEcrBases({ region: inputs.ecrRegion ?? "", packBase, imageBase, publicImages: inputs.ecrPublicImages, imageRegion: inputs.ecrImageRegion || undefined }));
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

/** The check line under another name; `rewrite` adjusts its detail (e.g. to name the images registry's keys). */
async function renamed(name: string, line: Promise<CheckLine>, rewrite: (detail: string) => string = (detail) => detail): Promise<CheckLine> {
    const checked = await line;
    return { ...checked, name, detail: rewrite(checked.detail) };
}

/** The checks name the registry* keys in their fixes; on the images registry the fix is its imageRegistry* twin. */
function imageKeyNames(detail: string): string {
    return detail.replace(/\bregistry(Username|Password|CaFile|Insecure|Endpoint)\b/g, "imageRegistry$1");
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
        if (out.imageRegistryEndpoint) {
            out.imageRegistryKind ??= out.registryKind === "generic" ? "generic" : "harbor";
            out.imageRegistryInsecure ??= false;
        }
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

function checkInputs(inputs: ValidationInputs): CheckFailure[] {
    const failures: CheckFailure[] = [];
    const known = isKnown;
    const given = (value: unknown): value is string => typeof value === "string" && value !== "" && isKnown(value);
    const fail = (property: string, reason: string | undefined) => {
        if (reason) failures.push({ property, reason });
    };
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
        if (!VALIDATION_REGISTRY_KINDS.includes(inputs.registryKind)) {
            fail("registryKind", oneOfProblem(inputs.registryKind, VALIDATION_REGISTRY_KINDS, "harbor"));
        } else if (inputs.registryKind === "ecr") {
            if (known(inputs.ecrRegion)) fail("ecrRegion", awsRegionProblem(inputs.ecrRegion || undefined, "us-west-2"));
            if (given(inputs.ecrImageRegion)) fail("ecrImageRegion", awsRegionProblem(inputs.ecrImageRegion, "eu-central-1"));
        } else {
            require(["registryEndpoint", "registryUsername", "registryPassword"], `for a ${inputs.registryKind} registry`);
            if (inputs.imageRegistryEndpoint) {
                require(["imageRegistryUsername", "imageRegistryPassword"], "for a separate images registry");
                if (inputs.imageRegistryKind && known(inputs.imageRegistryKind) && !["harbor", "generic"].includes(inputs.imageRegistryKind)) {
                    fail("imageRegistryKind", oneOfProblem(inputs.imageRegistryKind, ["harbor", "generic"], "generic"));
                }
            }
        }
    }
    if (inputs.vsphereServer) {
        require(["vsphereUser", "vspherePassword", "datacenter", "templateFolder", "templateName"], "to check the template");
        if (given(inputs.templateName)) fail("templateName", templateNameProblem(inputs.templateName));
    }
    for (const key of ["packBase", "imageBase"] as const) {
        if (given(inputs[key])) fail(key, repositoryBaseProblem(inputs[key], inputs.registryKind ?? "generic"));
    }
    for (const key of ["scarCaFile", "registryCaFile", "imageRegistryCaFile", "vsphereCaFile"] as const) {
        if (given(inputs[key])) fail(key, absolutePathProblem(inputs[key], "/etc/palette-airgap/ca.pem"));
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
