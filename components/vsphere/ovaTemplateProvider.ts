/**
 * The dynamic provider behind OvaTemplate. Pulumi serializes this object (and the modules it
 * uses) into the state and runs it in its own process, so it captures no secret and no state:
 * every call gets the connection from its inputs or the stored outputs.
 *
 * Drift: read() records what vCenter says (observed*), and diff() compares the desired inputs
 * with it, so `pulumi preview --refresh` shows a template that is gone, renamed, moved out of
 * its folder, no longer a template, or holding another OVA.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    destroyTemplate,
    folderInventoryPath,
    importOvaTemplate,
    ObservedTemplate,
    observeTemplate,
    OvaTemplatePlacement,
    reconcileTemplate,
    withVsphere,
} from "./ovaImport";
import type { OvfDiskProvisioning, VsphereConnection } from "./vimTypes";

export interface OvaTemplateInputs extends OvaTemplatePlacement {
    server: string;
    user: string;
    password: string;
    allowUnverifiedSsl: boolean;
    caFile?: string;
    source: string;
    sourceCaFile?: string;
    expectedSha256?: string;
    /** Size and modification time of a local OVA when no sha256 is configured: a new file is a new OVA. */
    sourceFingerprint?: string;
    templateName: string;
    markAsTemplate: boolean;
    diskProvisioning: OvfDiskProvisioning;
}

export interface OvaTemplateOutputs extends OvaTemplateInputs {
    /** Managed object id of the template, also the resource id. */
    moid: string;
    /** Full inventory path, e.g. `/dc-lab/vm/spectro-templates/r_u-2204-0-k-12510-0`. */
    inventoryPath: string;
    /** sha256 of the OVA it was imported from. */
    ovaSha256: string;
    observedName: string;
    observedFolderPath: string;
    observedIsTemplate: boolean;
    observedOvaSha256: string;
}

/** Inputs whose change means another template: imported anew, then the old one deleted. */
export const REPLACE_ON_CHANGE: (keyof OvaTemplateInputs)[] = [
    "server", "datacenter", "folderPath", "datastore", "network", "cluster", "resourcePool",
    "source", "expectedSha256", "sourceFingerprint", "diskProvisioning",
];
/** Inputs fixed in place by update. */
const UPDATE_IN_PLACE: (keyof OvaTemplateInputs)[] = ["templateName", "markAsTemplate", "user", "password", "allowUnverifiedSsl", "caFile", "sourceCaFile"];

export const ovaTemplateProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: OvaTemplateInputs, news: OvaTemplateInputs) {
        return { inputs: news, failures: checkInputs(news) };
    },

    async diff(_id: string, olds: OvaTemplateOutputs, news: OvaTemplateInputs) {
        // A fingerprint missing on one side (the OVA is not on the machine running this preview) is no evidence of change.
        const fingerprintKnown = Boolean(olds.sourceFingerprint && news.sourceFingerprint);
        const replaces = REPLACE_ON_CHANGE.filter((key) => !same(olds[key], news[key]) && (key !== "sourceFingerprint" || fingerprintKnown));
        if (olds.observedOvaSha256 && olds.ovaSha256 && olds.observedOvaSha256 !== olds.ovaSha256) {
            replaces.push("source"); // the annotation says another OVA now sits behind this name
        }
        const updates = UPDATE_IN_PLACE.filter((key) => !same(olds[key], news[key]));
        if (olds.observedName !== undefined && olds.observedName !== news.templateName) updates.push("templateName");
        if (olds.observedIsTemplate !== undefined && olds.observedIsTemplate !== news.markAsTemplate) updates.push("markAsTemplate");
        if (olds.observedFolderPath !== undefined && olds.observedFolderPath !== folderInventoryPath(news)) updates.push("folderPath");
        return {
            changes: replaces.length > 0 || updates.length > 0,
            replaces: [...new Set(replaces)],
            deleteBeforeReplace: false,
        };
    },

    async create(inputs: OvaTemplateInputs) {
        const observed = await importOvaTemplate({ ...inputs, connection: connectionOf(inputs) }, logInfo);
        return { id: observed.moid, outs: outputsOf(inputs, observed, observed.ovaSha256) };
    },

    async read(id: string, props: OvaTemplateOutputs) {
        const observed = await withVsphere(connectionOf(props), (client) => observeTemplate(client, id));
        if (!observed) {
            return {}; // gone: Pulumi drops it from the state and plans to import it again
        }
        return { id, props: outputsOf(props, observed, props.ovaSha256) };
    },

    async update(id: string, olds: OvaTemplateOutputs, news: OvaTemplateInputs) {
        const observed = await withVsphere(connectionOf(news), (client) => reconcileTemplate(client, id, news, logInfo));
        return { outs: outputsOf(news, observed, olds.ovaSha256) };
    },

    async delete(id: string, props: OvaTemplateOutputs) {
        const destroyed = await withVsphere(connectionOf(props), (client) => destroyTemplate(client, id));
        logInfo(`${props.templateName} (${id}): ${destroyed ? "destroyed" : "already gone"}`);
    },
};

function connectionOf(inputs: OvaTemplateInputs): VsphereConnection {
    return { server: inputs.server, user: inputs.user, password: inputs.password, allowUnverifiedSsl: inputs.allowUnverifiedSsl, caFile: inputs.caFile || undefined };
}

function outputsOf(inputs: OvaTemplateInputs, observed: ObservedTemplate, ovaSha256: string): OvaTemplateOutputs {
    return {
        ...inputs,
        moid: observed.moid,
        inventoryPath: `${observed.folderInventoryPath}/${observed.name}`,
        ovaSha256,
        observedName: observed.name,
        observedFolderPath: observed.folderInventoryPath,
        observedIsTemplate: observed.isTemplate,
        observedOvaSha256: observed.ovaSha256,
    };
}

function checkInputs(inputs: OvaTemplateInputs): pulumi.dynamic.CheckFailure[] {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!inputs.templateName?.startsWith("r_")) {
        failures.push({ property: "templateName", reason: `"${inputs.templateName}" must start with r_: Palette only finds templates named r_<name>` });
    }
    if (!inputs.cluster === !inputs.resourcePool) {
        failures.push({ property: "cluster", reason: "set exactly one of cluster and resourcePool" });
    }
    for (const key of ["server", "user", "password", "datacenter", "folderPath", "datastore", "network", "source"] as const) {
        if (!inputs[key]) failures.push({ property: key, reason: `${key} is required` });
    }
    if (inputs.expectedSha256 && !/^[0-9a-f]{64}$/.test(inputs.expectedSha256)) {
        failures.push({ property: "expectedSha256", reason: "must be 64 lower-case hex digits" });
    }
    return failures;
}

function same(a: unknown, b: unknown): boolean {
    return (a ?? "") === (b ?? "");
}

function logInfo(message: string): void {
    pulumi.log.info(message);
}
