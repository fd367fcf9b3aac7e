/**
 * The custom resource behind OvaTemplate (`palette-airgap:vsphere:OvaTemplateImport`), served by
 * the provider plugin (provider/). It keeps no secret and no state between calls: every call gets
 * the connection from its inputs or the stored outputs.
 *
 * Drift: read() records what vCenter says (observed*), and diff() compares the desired inputs
 * with it, so `pulumi preview --refresh` shows a template that is gone, renamed, moved out of
 * its folder, no longer a template, or holding another OVA.
 */
import * as pulumi from "../pulumiLog";
import { absolutePathProblem, inventoryPathProblem, oneOfProblem, ovaSourceProblem, serverAddressProblem, sha256Problem } from "../configRules";
import { templateNameProblem } from "../names";
import { PropertyDiffs } from "../propertyDiff";
import { isKnown, type CheckFailure, type ResourceProvider } from "../resourceProvider";
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
    /** Secret: the mirror's Authorization header value. */
    sourceAuthorization?: string;
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
const UPDATE_IN_PLACE: (keyof OvaTemplateInputs)[] = ["templateName", "markAsTemplate", "user", "password", "allowUnverifiedSsl", "caFile", "sourceCaFile", "sourceAuthorization"];

/** Closed set of the OVF import's disk provisioning. */
export const DISK_PROVISIONING: readonly OvfDiskProvisioning[] = ["thin", "thick", "eagerZeroedThick"];

/** Defaults of the optional inputs, applied by check. */
export const OVA_TEMPLATE_DEFAULTS = { allowUnverifiedSsl: false, markAsTemplate: true, diskProvisioning: "thin" } as const;

export const ovaTemplateProvider: ResourceProvider<OvaTemplateInputs, OvaTemplateOutputs> = {
    async check(_olds, news) {
        const inputs: OvaTemplateInputs = { ...news };
        for (const [key, value] of Object.entries(OVA_TEMPLATE_DEFAULTS)) {
            if (inputs[key as keyof typeof OVA_TEMPLATE_DEFAULTS] === undefined || inputs[key as keyof typeof OVA_TEMPLATE_DEFAULTS] === null) {
                (inputs as unknown as Record<string, unknown>)[key] = value;
            }
        }
        if (typeof inputs.expectedSha256 === "string" && isKnown(inputs.expectedSha256)) {
            inputs.expectedSha256 = inputs.expectedSha256.toLowerCase() || undefined;
        }
        const failures = checkInputs(inputs);
        return failures.length > 0 ? { inputs, failures } : { inputs };
    },

    async diff(_id: string, olds: OvaTemplateOutputs, news: OvaTemplateInputs) {
        const diffs = new PropertyDiffs();
        // A fingerprint missing on one side (the OVA is not on the machine running this preview) is no evidence of change.
        const fingerprintKnown = Boolean(olds.sourceFingerprint && news.sourceFingerprint);
        for (const key of REPLACE_ON_CHANGE) {
            if (!same(olds[key], news[key]) && (key !== "sourceFingerprint" || fingerprintKnown)) diffs.replace(key, olds[key], news[key]);
        }
        for (const key of UPDATE_IN_PLACE) {
            if (!same(olds[key], news[key])) diffs.update(key, olds[key], news[key]);
        }
        // Drift that only read() sees: each observed property is named, and so is the input whose
        // value the update (or the replacement) restores, so the preview says what moved and what fixes it.
        if (olds.observedOvaSha256 && olds.ovaSha256 && olds.observedOvaSha256 !== olds.ovaSha256) {
            // The annotation says another OVA now sits behind this name: import ours again.
            diffs.replace("observedOvaSha256", olds.observedOvaSha256, olds.ovaSha256).replace("source", olds.source, news.source);
        }
        if (olds.observedName !== undefined && olds.observedName !== news.templateName) {
            diffs.update("observedName", olds.observedName, news.templateName).update("templateName", olds.templateName, news.templateName);
        }
        if (olds.observedIsTemplate !== undefined && olds.observedIsTemplate !== news.markAsTemplate) {
            diffs.update("observedIsTemplate", olds.observedIsTemplate, news.markAsTemplate).update("markAsTemplate", olds.markAsTemplate, news.markAsTemplate);
        }
        if (olds.observedFolderPath !== undefined && olds.observedFolderPath !== folderInventoryPath(news)) {
            diffs.update("observedFolderPath", olds.observedFolderPath, folderInventoryPath(news)).update("folderPath", olds.folderPath, news.folderPath);
        }
        return diffs.result(false);
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

/** The rules of the stack configuration (inputRules.ts), per property; unknown values (preview) pass. */
function checkInputs(inputs: OvaTemplateInputs): CheckFailure[] {
    const failures: CheckFailure[] = [];
    const fail = (property: string, reason: string | undefined) => {
        if (reason) failures.push({ property, reason });
    };
    const given = (value: unknown): value is string => typeof value === "string" && value !== "" && isKnown(value);
    const required: Record<string, string> = {
        server: "the vCenter host, e.g. vcenter.lab.internal",
        user: "the vCenter user, e.g. administrator@vsphere.local",
        password: "the vCenter password (a secret)",
        datacenter: "the datacenter name, e.g. dc-lab",
        folderPath: "the VM folder path under the datacenter, e.g. spectro-templates",
        datastore: "the datastore for the template's disks, e.g. vsanDatastore",
        network: "the port group every OVF network is mapped to, e.g. VM Network",
        source: "an absolute path or http(s) URL of the OVA, e.g. /srv/ova/u-2204-0-k-12510-0.ova",
        templateName: "the template name, starting with r_, e.g. r_u-2204-0-k-12510-0",
    };
    for (const [key, what] of Object.entries(required)) {
        const value = (inputs as unknown as Record<string, unknown>)[key];
        if (value === undefined || value === null || value === "") fail(key, `is required: give ${what}`);
        else if (typeof value !== "string") fail(key, `must be a string (${what}), got ${JSON.stringify(typeof value)}`);
    }
    if (given(inputs.server)) fail("server", serverAddressProblem(inputs.server, "vcenter.lab.internal"));
    if (given(inputs.templateName)) fail("templateName", templateNameProblem(inputs.templateName));
    if (given(inputs.source)) fail("source", ovaSourceProblem(inputs.source, "https://mirror.internal/ova/u-2204-0-k-12510-0.ova"));
    if (given(inputs.folderPath)) fail("folderPath", withExample(inventoryPathProblem(inputs.folderPath), "spectro-templates"));
    if (given(inputs.resourcePool)) fail("resourcePool", withExample(inventoryPathProblem(inputs.resourcePool, { escapes: true }), "cluster-a/Resources/palette"));
    if (given(inputs.expectedSha256)) fail("expectedSha256", sha256Problem(inputs.expectedSha256));
    if (given(inputs.caFile)) fail("caFile", absolutePathProblem(inputs.caFile, "/etc/palette-airgap/vcenter-ca.pem"));
    if (given(inputs.sourceCaFile)) fail("sourceCaFile", absolutePathProblem(inputs.sourceCaFile, "/etc/palette-airgap/mirror-ca.pem"));
    if (isKnown(inputs.diskProvisioning)) fail("diskProvisioning", oneOfProblem(inputs.diskProvisioning, DISK_PROVISIONING, "thin"));
    for (const key of ["allowUnverifiedSsl", "markAsTemplate"] as const) {
        if (isKnown(inputs[key]) && typeof inputs[key] !== "boolean") fail(key, `must be true or false, got ${JSON.stringify(inputs[key])}`);
    }
    if (isKnown(inputs.cluster) && isKnown(inputs.resourcePool) && !inputs.cluster === !inputs.resourcePool) {
        fail("cluster", inputs.cluster ? `set only one of cluster ("${inputs.cluster}") and resourcePool ("${inputs.resourcePool}")` : "set cluster (or resourcePool) to say where the template is imported, e.g. DC0_C0");
    }
    return failures;
}

function withExample(problem: string | undefined, example: string): string | undefined {
    return problem && `${problem}; e.g. ${example}`;
}

function same(a: unknown, b: unknown): boolean {
    return (a ?? "") === (b ?? "");
}

function logInfo(message: string): void {
    pulumi.log.info(message);
}
