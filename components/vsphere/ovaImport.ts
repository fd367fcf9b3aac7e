/**
 * The OVA-template operations on vCenter, used by the OvaTemplate custom resource: import an OVA
 * as an `r_` template (streamed, verified, aborted and cleaned up on any failure), observe it for
 * drift, and rename, move, re-mark or destroy it. Everything is plain vSphere Web Services calls
 * through VsphereSoapClient, the calls govc makes.
 */
import { openOva, type OvaReader } from "./ovaArchive";
import { isNotFoundFault, VsphereSoapClient } from "./soapClient";
import type { ManagedObjectRef, OvfDiskProvisioning, VsphereConnection } from "./vimTypes";

/** Where and how the template is imported. */
export interface OvaTemplatePlacement {
    datacenter: string;
    /** Folder path relative to the datacenter's VM folder, e.g. `spectro-templates`. */
    folderPath: string;
    datastore: string;
    /** Port group every OVF network is mapped to. */
    network: string;
    /** Exactly one of cluster and resourcePool. */
    cluster?: string;
    /** Path under the datacenter's host folder, e.g. `cluster-01/Resources/palette`. */
    resourcePool?: string;
}

export interface OvaImportRequest extends OvaTemplatePlacement {
    connection: VsphereConnection;
    /** Local path or http(s) URL of the OVA. */
    source: string;
    /** CA file for an https OVA mirror. */
    sourceCaFile?: string;
    /** Secret Authorization header value for the mirror (config ovaSourceUsername/ovaSourcePassword or ovaSourceToken). */
    sourceAuthorization?: string;
    /** Expected sha256 of the whole OVA file; checked before the import is completed. */
    expectedSha256?: string;
    templateName: string;
    markAsTemplate: boolean;
    diskProvisioning: OvfDiskProvisioning;
    /** Seconds between progress log lines and lease progress calls. Default 10. */
    progressIntervalSeconds?: number;
}

/** What vCenter says about the template now. */
export interface ObservedTemplate {
    moid: string;
    name: string;
    /** Inventory path of the folder holding it, e.g. `/dc-lab/vm/spectro-templates`. */
    folderInventoryPath: string;
    isTemplate: boolean;
    /** The OVA sha256 recorded in the annotation at import, "" when the annotation lacks it. */
    ovaSha256: string;
}

export type ProgressLog = (message: string) => void;

/** Marker line in the template's annotation recording the OVA it was imported from. */
const SHA_MARKER = "palette-airgap:ova-sha256=";

/** `/<datacenter>/vm/<folderPath>`. */
export function folderInventoryPath(placement: Pick<OvaTemplatePlacement, "datacenter" | "folderPath">): string {
    return `/${placement.datacenter}/vm/${placement.folderPath}`;
}

export function templateAnnotation(source: string, sha256: string): string {
    const file = source.replace(/[?#].*$/s, "").split(/[\\/]/).pop();
    return `Imported by palette-airgap from ${file}.\n${SHA_MARKER}${sha256}`;
}

export function annotationSha256(annotation: string): string {
    const match = new RegExp(`${SHA_MARKER}([0-9a-f]{64})`).exec(annotation);
    return match ? match[1] : "";
}

/** Logs in, runs `work`, and always logs out. */
export async function withVsphere<T>(connection: VsphereConnection, work: (client: VsphereSoapClient) => Promise<T>): Promise<T> {
    const client = await VsphereSoapClient.login(connection);
    try {
        return await work(client);
    } finally {
        await client.logout().catch(() => undefined);
    }
}

/**
 * Imports the OVA as a template named `templateName` in the folder. The import runs under a
 * staging name and takes the final name only once it is complete and verified, so a template
 * Palette already uses is never shadowed by a half-imported one. When the final name belongs to
 * a template this package imported before (the one a replacement is about to delete), that one
 * is renamed aside first; any other VM of that name stops the import before it starts.
 */
export async function importOvaTemplate(request: OvaImportRequest, log: ProgressLog): Promise<ObservedTemplate> {
    // Open the OVA (descriptor, manifest, every entry header, the hashing threads) while logging in
    // and looking up the placement: both must succeed before anything is created on vCenter, and
    // neither waits for the other. A reader that ends up unused is aborted, so nothing stays open.
    const opening = openOva(request.source, { expectedSha256: request.expectedSha256, caFile: request.sourceCaFile, authorization: request.sourceAuthorization || undefined });
    opening.catch(() => undefined); // awaited below, after the lookups; not an unhandled rejection meanwhile
    let handedOver = false;
    try {
        return await withVsphere(request.connection, async (client) => {
            const refs = await resolvePlacement(client, request);
            const existing = await client.findVm(request.datacenter, request.folderPath, request.templateName);
            const existingSummary = existing ? await client.getVmSummary(existing) : null;
            if (existing && !(existingSummary && annotationSha256(existingSummary.annotation))) {
                throw new Error(
                    `a VM named "${request.templateName}" already exists in ${folderInventoryPath(request)} and was not imported by palette-airgap; ` +
                        `remove or rename it, or set templateName to another r_ name`,
                );
            }
            const stagingName = `${request.templateName}.importing-${Date.now().toString(36)}`;
            const ova = await opening;
            handedOver = true;
            const imported = await importUnderName(client, request, ova, refs, stagingName, log);
            try {
                if (existing) {
                    // Normally the template this resource replaces, which Pulumi deletes next by moid; if it
                    // belongs to no stack (an earlier run died before saving its state), say where it went.
                    const aside = `${request.templateName}.replaced-${Date.now().toString(36)}`;
                    await client.rename(existing, aside);
                    log(`${request.templateName}: renamed the previous palette-airgap template ${existing.value} to ${aside}; ` +
                        `a replacement deletes it next, otherwise remove it by hand`);
                }
                await client.rename(imported.vm, request.templateName);
            } catch (error) {
                await destroyQuietly(client, imported.vm);
                throw error;
            }
            log(`${request.templateName}: imported as ${imported.vm.value} in ${folderInventoryPath(request)}`);
            const observed = await observeTemplate(client, imported.vm.value);
            if (!observed) {
                throw new Error(`${request.templateName} (${imported.vm.value}) disappeared right after its import`);
            }
            return observed;
        });
    } finally {
        if (!handedOver) void opening.then((ova) => ova.abort(new Error(`OVA ${request.source}: not imported`)), () => undefined);
    }
}

/** The template by managed object id, or undefined when it no longer exists. */
export async function observeTemplate(client: VsphereSoapClient, moid: string): Promise<ObservedTemplate | undefined> {
    const vm: ManagedObjectRef = { type: "VirtualMachine", value: moid };
    const summary = await client.getVmSummary(vm);
    if (!summary) {
        return undefined;
    }
    const path = await client.inventoryPath(vm);
    return {
        moid,
        name: summary.name,
        folderInventoryPath: path.slice(0, path.lastIndexOf("/")),
        isTemplate: summary.template,
        ovaSha256: annotationSha256(summary.annotation),
    };
}

/** Brings a drifted template back to the desired name, folder and template flag. */
export async function reconcileTemplate(
    client: VsphereSoapClient,
    moid: string,
    desired: OvaTemplatePlacement & { templateName: string; markAsTemplate: boolean },
    log: ProgressLog,
): Promise<ObservedTemplate> {
    const vm: ManagedObjectRef = { type: "VirtualMachine", value: moid };
    const current = await observeTemplate(client, moid);
    if (!current) {
        throw new Error(`template ${desired.templateName} (${moid}) no longer exists; run pulumi refresh, then pulumi up to import it again`);
    }
    const wantedFolder = folderInventoryPath(desired);
    if (current.folderInventoryPath !== wantedFolder) {
        const folder = await client.findVmFolder(desired.datacenter, desired.folderPath);
        if (!folder) {
            throw new Error(`folder ${wantedFolder} (config key templateFolder) does not exist`);
        }
        log(`${current.name}: moving back from ${current.folderInventoryPath} to ${wantedFolder}`);
        await client.moveIntoFolder(folder, [vm]);
    }
    if (current.name !== desired.templateName) {
        log(`${current.name}: renaming to ${desired.templateName}`);
        await client.rename(vm, desired.templateName);
    }
    if (current.isTemplate !== desired.markAsTemplate) {
        if (desired.markAsTemplate) {
            log(`${desired.templateName}: marking as template`);
            await client.markAsTemplate(vm);
        } else {
            log(`${desired.templateName}: converting back to a virtual machine`);
            const { pool } = await resolvePlacement(client, desired);
            await client.markAsVirtualMachine(vm, pool);
        }
    }
    return (await observeTemplate(client, moid)) as ObservedTemplate;
}

/** Destroys the template; one that is already gone counts as deleted. */
export async function destroyTemplate(client: VsphereSoapClient, moid: string): Promise<boolean> {
    try {
        await client.destroy({ type: "VirtualMachine", value: moid });
        return true;
    } catch (error) {
        if (isNotFoundFault(error)) {
            return false;
        }
        throw error;
    }
}

// --- private helpers ---------------------------------------------------------------------------

interface PlacementRefs {
    folder: ManagedObjectRef;
    datastore: ManagedObjectRef;
    network: ManagedObjectRef;
    pool: ManagedObjectRef;
}

/** Looks up every placement object; reports all that are missing at once, by config key. */
async function resolvePlacement(client: VsphereSoapClient, placement: OvaTemplatePlacement): Promise<PlacementRefs> {
    const dc = placement.datacenter;
    if (!(await client.findDatacenter(dc))) {
        throw new Error(`datacenter "${dc}" (config key datacenter) does not exist on ${client.host}`);
    }
    const [folder, datastore, network, pool] = await Promise.all([
        client.findVmFolder(dc, placement.folderPath),
        client.findDatastore(dc, placement.datastore),
        client.findNetwork(dc, placement.network),
        placement.cluster ? client.findClusterResourcePool(dc, placement.cluster) : client.findResourcePool(dc, placement.resourcePool ?? ""),
    ]);
    const missing = [
        folder ? "" : `folder ${folderInventoryPath(placement)} (config key templateFolder; the TemplatesFolder creates it)`,
        datastore ? "" : `datastore "${placement.datastore}" (config key datastore)`,
        network ? "" : `network "${placement.network}" (config key network)`,
        pool
            ? ""
            : placement.cluster
              ? `cluster "${placement.cluster}" (config key cluster)`
              : `resource pool "${placement.resourcePool}" (config key resourcePool)`,
    ].filter((item) => item !== "");
    if (missing.length > 0) {
        throw new Error(`not found in datacenter "${dc}": ${missing.join("; ")}`);
    }
    return { folder: folder!, datastore: datastore!, network: network!, pool: pool! };
}

/**
 * ImportVApp under `name`, uploads every disk as it streams out of the OVA, verifies the
 * manifest and the whole-file sha256, then completes the lease, annotates and marks as template.
 * Any failure after ImportVApp aborts the lease and destroys the half-imported VM.
 */
async function importUnderName(
    client: VsphereSoapClient,
    request: OvaImportRequest,
    ova: OvaReader,
    refs: PlacementRefs,
    name: string,
    log: ProgressLog,
): Promise<{ vm: ManagedObjectRef }> {
    // `ova` is open: every check but the disks' bytes (for a local OVA: every entry, ovf:size, the
    // manifest's list) has passed before anything exists on vCenter.
    let lease: ManagedObjectRef | undefined;
    let vm: ManagedObjectRef | undefined;
    try {
        const spec = await client.createImportSpec({
            ovfDescriptor: ova.descriptorXml,
            resourcePool: refs.pool,
            datastore: refs.datastore,
            entityName: name,
            networkMapping: ova.descriptor.networks.map((network) => ({ name: network, network: refs.network })),
            diskProvisioning: request.diskProvisioning,
        });
        for (const warning of spec.warnings) {
            log(`${request.templateName}: vCenter warning: ${warning.localizedMessage || warning.faultType}`);
        }
        const hrefs = new Set(ova.descriptor.files.map((file) => file.href));
        const unknown = spec.fileItems.filter((item) => !hrefs.has(item.path)).map((item) => item.path);
        if (unknown.length > 0) {
            throw new Error(`OVA ${ova.source}: vCenter's import spec asks for ${unknown.join(", ")}, which the descriptor ${ova.descriptorName} does not reference`);
        }
        lease = await client.importVApp(refs.pool, spec.importSpec, refs.folder);
        const info = await client.waitForLease(lease);
        vm = info.entity;
        const uploads = new Map(VsphereSoapClient.matchDeviceUrls(info, spec.fileItems).map((match) => [match.fileItem.path, match]));
        const progress = new UploadProgress(request.templateName, ova.size, log);
        const keepAlive = client.startLeaseKeepAlive(lease, () => progress.percent(ova.bytesRead), (request.progressIntervalSeconds ?? 10) * 1000);
        const ticker = setInterval(() => progress.report(ova.bytesRead), (request.progressIntervalSeconds ?? 10) * 1000);
        try {
            for await (const file of ova.files()) {
                const upload = uploads.get(file.name);
                if (!upload) {
                    // An ISO or NVRAM file (or any file) vCenter did not ask for: the reader still drains and checks it.
                    log(`${request.templateName}: skipping ${file.name} (${mib(file.size)}): vCenter's import spec does not ask for it; it is checked against the manifest only`);
                    continue;
                }
                await client.uploadSegmentsToDeviceUrl(upload.deviceUrl.url, file.segments(), file.size, {
                    method: upload.fileItem.create ? "PUT" : "POST",
                    sslThumbprint: upload.deviceUrl.sslThumbprint || undefined,
                });
                await file.verified;
                uploads.delete(file.name);
            }
            const result = await ova.finish();
            if (uploads.size > 0) {
                throw new Error(`OVA ${ova.source} lacks ${[...uploads.keys()].join(", ")}, which its descriptor lists`);
            }
            progress.report(result.bytes, true);
            await client.leaseProgress(lease, 100);
            await client.leaseComplete(lease);
            lease = undefined;
            await client.setAnnotation(vm, templateAnnotation(request.source, result.sha256));
        } finally {
            clearInterval(ticker);
            await keepAlive.stop();
        }
        if (request.markAsTemplate) {
            await client.markAsTemplate(vm);
        }
        return { vm };
    } catch (error) {
        ova.abort(error as Error);
        if (lease) {
            await client.leaseAbort(lease, (error as Error).message).catch(() => undefined);
        }
        if (vm) {
            // vCenter removes an aborted import's VM itself; vcsim and failures after Complete do not.
            await destroyQuietly(client, vm);
        }
        throw error;
    }
}

async function destroyQuietly(client: VsphereSoapClient, vm: ManagedObjectRef): Promise<void> {
    await destroyTemplate(client, vm.value).catch(() => undefined);
}

/** Upload percentage and throughput, logged at most once per interval and at the end. */
class UploadProgress {
    private readonly started = Date.now();

    constructor(
        private readonly label: string,
        private readonly totalBytes: number | undefined,
        private readonly log: ProgressLog,
    ) {}

    percent(bytes: number): number {
        return this.totalBytes ? Math.min(99, Math.floor((bytes / this.totalBytes) * 100)) : 0;
    }

    report(bytes: number, done = false): void {
        const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
        const rate = bytes / seconds / 1048576;
        const of = this.totalBytes ? ` of ${mib(this.totalBytes)} (${done ? 100 : this.percent(bytes)}%)` : "";
        this.log(`${this.label}: ${done ? "uploaded" : "uploading"} ${mib(bytes)}${of} at ${rate.toFixed(1)} MiB/s`);
    }
}

function mib(bytes: number): string {
    return `${(bytes / 1048576).toFixed(1)} MiB`;
}
