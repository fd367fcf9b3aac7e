/**
 * A small vSphere Web Services (SOAP, vim25) client: the calls govc makes to import an OVA as a
 * VM template (see govmomi's object/, ovf/ and nfc/ packages), and the few more needed to read
 * and repair it.
 *
 * ```ts
 * const c = await VsphereSoapClient.login({ server, user, password, caFile });
 * try { ... } finally { await c.logout(); }
 * ```
 *
 * Errors: SOAP faults, failed tasks and leases throw `VsphereFault` (`faultType` is the vim25
 * fault name: "InvalidLogin", "ManagedObjectNotFound", "DuplicateName", ...). The password is never
 * kept after login nor put in any message.
 */
import type { Readable } from "stream";
import { type Agent, request } from "undici";
import { buildXml, child, children, el, renamed, text, toPlain, xsiType, type XmlElement } from "./soapXml";
import {
    VsphereFault,
    buildRequest,
    createAgent,
    isNotFoundFault,
    localizedFault,
    moRefElement,
    parseResponse,
    parseServer,
    redact,
    tlsSettingsFor,
    toMoRef,
    transportError,
    uploadSegments,
    uploadStream,
    type SoapEndpoint,
    type TlsSettings,
    type UploadOptions,
    type UploadResult,
    type UploadSegment,
} from "./soapTransport";
import type {
    AboutInfo,
    CreateImportSpecParams,
    HttpNfcLeaseDeviceUrl,
    HttpNfcLeaseInfo,
    HttpNfcLeaseState,
    ImportSpec,
    ImportSpecResult,
    LocalizedFault,
    ManagedObjectRef,
    OvfFileItem,
    ServiceContent,
    TaskInfo,
    TaskInfoState,
    UserSession,
    VmSummary,
    VsphereConnection,
} from "./vimTypes";

export * from "./vimTypes";
export { VsphereFault, isNotFoundFault, isVsphereFault, parseServer } from "./soapTransport";
export type { UploadOptions, UploadResult, UploadSegment } from "./soapTransport";

const SERVICE_INSTANCE: ManagedObjectRef = { type: "ServiceInstance", value: "ServiceInstance" };
const SESSION_COOKIE = "vmware_soap_session";
/** SOAPAction version used until the server's apiVersion is known (every vCenter >= 6.5 accepts it). */
const INITIAL_API_VERSION = "6.5";

export interface ClientOptions {
    /** Poll interval cap for tasks and leases, ms (default 1000; polling starts at 50 ms). */
    pollIntervalMs?: number;
    /** Per-call timeout for SOAP requests, ms (default 300000). */
    callTimeoutMs?: number;
}

export interface WaitOptions {
    /** Default: 30 minutes for tasks, 10 minutes for a lease to become ready. */
    timeoutMs?: number;
}

export interface LeaseKeepAlive {
    /** Stops the periodic HttpNfcLeaseProgress calls (waits for one in flight). */
    stop(): Promise<void>;
    /** The last error from a progress call, if any (progress errors do not stop the timer). */
    readonly lastError: Error | undefined;
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function optionalNumber(s: string | undefined): number | undefined {
    return s === undefined || s.trim() === "" ? undefined : Number(s);
}

function optionalBoolean(s: string | undefined): boolean | undefined {
    return s === undefined ? undefined : s.trim() === "true" || s.trim() === "1";
}

function requireRef(e: XmlElement | undefined, what: string): ManagedObjectRef {
    const ref = toMoRef(e);
    if (!ref) {
        throw new Error(`vSphere: missing ${what} in the response`);
    }
    return ref;
}

function joinPath(...parts: string[]): string {
    return parts
        .flatMap((p) => p.split("/"))
        .filter((p) => p !== "")
        .join("/");
}

export class VsphereSoapClient {
    /** e.g. https://vcenter.example.com/sdk */
    readonly endpoint: string;
    /** host[:port] of the endpoint (replaces the "*" host of NFC device URLs). */
    readonly host: string;
    readonly serviceContent: ServiceContent;
    readonly session: UserSession;

    private readonly tls: TlsSettings;
    private readonly agent: Agent;
    private readonly options: Required<ClientOptions>;
    private apiVersion: string;
    private cookie: string | undefined;
    private loggedIn = true;

    private constructor(init: {
        endpoint: SoapEndpoint;
        tls: TlsSettings;
        agent: Agent;
        options: Required<ClientOptions>;
        serviceContent: ServiceContent;
        session: UserSession;
        cookie: string | undefined;
        apiVersion: string;
    }) {
        this.endpoint = init.endpoint.url;
        this.host = init.endpoint.host;
        this.tls = init.tls;
        this.agent = init.agent;
        this.options = init.options;
        this.serviceContent = init.serviceContent;
        this.session = init.session;
        this.cookie = init.cookie;
        this.apiVersion = init.apiVersion;
    }

    /** RetrieveServiceContent + SessionManager.Login. Throws VsphereFault "InvalidLogin" on bad credentials. */
    static async login(conn: VsphereConnection, options: ClientOptions = {}): Promise<VsphereSoapClient> {
        const endpoint = parseServer(conn.server);
        const tls = tlsSettingsFor(conn);
        const agent = createAgent(tls);
        const opts: Required<ClientOptions> = {
            pollIntervalMs: options.pollIntervalMs ?? 1000,
            callTimeoutMs: options.callTimeoutMs ?? 300_000,
        };
        const state = { cookie: undefined as string | undefined, apiVersion: INITIAL_API_VERSION };
        const call = (method: string, thisRef: ManagedObjectRef, params: XmlElement[]) =>
            rawCall({ endpoint, tls, agent, timeoutMs: opts.callTimeoutMs, state }, method, thisRef, params);
        try {
            const [sc] = await call("RetrieveServiceContent", SERVICE_INSTANCE, []);
            const serviceContent = parseServiceContent(sc);
            if (serviceContent.about.apiVersion) {
                state.apiVersion = serviceContent.about.apiVersion;
            }
            let sessionEl: XmlElement | undefined;
            try {
                [sessionEl] = await call("Login", serviceContent.sessionManager, [el("userName", conn.user), el("password", conn.password)]);
            } catch (e) {
                if (e instanceof VsphereFault) {
                    const msg = redact(`${e.message} (user "${conn.user}" at ${endpoint.host})`, conn.password);
                    throw new VsphereFault(msg, { method: e.method, faultType: e.faultType, faultString: redact(e.faultString, conn.password) });
                }
                throw e;
            }
            const session: UserSession = { key: text(child(sessionEl, "key")), userName: text(child(sessionEl, "userName")) };
            return new VsphereSoapClient({
                endpoint,
                tls,
                agent,
                options: opts,
                serviceContent,
                session,
                cookie: state.cookie,
                apiVersion: state.apiVersion,
            });
        } catch (e) {
            await agent.close().catch(() => undefined);
            if (e instanceof Error && conn.password) {
                e.message = redact(e.message, conn.password);
            }
            throw e;
        }
    }

    /** SessionManager.Logout, then closes the connections. Safe to call twice. */
    async logout(): Promise<void> {
        if (!this.loggedIn) {
            return;
        }
        this.loggedIn = false;
        try {
            await this.call("Logout", this.serviceContent.sessionManager, []);
        } finally {
            this.cookie = undefined;
            await this.agent.close().catch(() => undefined);
        }
    }

    /**
     * Invokes a vim25 method and returns its `returnval` elements. `params` must follow the WSDL
     * order of the method's parameters.
     */
    async call(method: string, thisRef: ManagedObjectRef, params: XmlElement[]): Promise<XmlElement[]> {
        if (!this.loggedIn && method !== "Logout") {
            throw new Error(`vSphere ${method}: the client is logged out`);
        }
        const state = { cookie: this.cookie, apiVersion: this.apiVersion };
        const result = await rawCall(
            { endpoint: { url: this.endpoint, host: this.host }, tls: this.tls, agent: this.agent, timeoutMs: this.options.callTimeoutMs, state },
            method,
            thisRef,
            params,
        );
        this.cookie = state.cookie;
        return result;
    }

    // -----------------------------------------------------------------------------------------
    // Inventory

    /** SearchIndex.FindByInventoryPath ("DC0/vm/folder/name"); null when nothing is there. */
    async findByInventoryPath(inventoryPath: string): Promise<ManagedObjectRef | null> {
        const [ret] = await this.call("FindByInventoryPath", this.serviceContent.searchIndex, [el("inventoryPath", inventoryPath)]);
        return toMoRef(ret) ?? null;
    }

    private async findTyped(inventoryPath: string, types: string[]): Promise<ManagedObjectRef | null> {
        const ref = await this.findByInventoryPath(inventoryPath);
        if (ref && !types.includes(ref.type)) {
            throw new Error(`vSphere: "${inventoryPath}" is a ${ref.type}, expected ${types.join(" or ")}`);
        }
        return ref;
    }

    /** A datacenter by name or path ("DC0", "folder/DC0"). */
    findDatacenter(datacenter: string): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter), ["Datacenter"]);
    }

    /** A VM-and-template folder: `<dc>/vm/<folderPath>`; the datacenter's vm folder when folderPath is "". */
    findVmFolder(datacenter: string, folderPath = ""): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter, "vm", folderPath), ["Folder"]);
    }

    /** A VM or template: `<dc>/vm/<folderPath>/<name>`. */
    findVm(datacenter: string, folderPath: string, name: string): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter, "vm", folderPath, name), ["VirtualMachine"]);
    }

    /** `<dc>/datastore/<name>`. */
    findDatastore(datacenter: string, name: string): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter, "datastore", name), ["Datastore"]);
    }

    /** `<dc>/network/<name>`: a standard port group, a distributed port group or an opaque network. */
    findNetwork(datacenter: string, name: string): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter, "network", name), ["Network", "DistributedVirtualPortgroup", "OpaqueNetwork"]);
    }

    /** The root resource pool of a cluster (or standalone host): `<dc>/host/<cluster>/Resources`. */
    findClusterResourcePool(datacenter: string, cluster: string): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter, "host", cluster, "Resources"), ["ResourcePool"]);
    }

    /** A resource pool by path under `<dc>/host`, e.g. "DC0_C0/Resources/pool1". */
    findResourcePool(datacenter: string, poolPath: string): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter, "host", poolPath), ["ResourcePool", "VirtualApp"]);
    }

    /** A host: `<dc>/host/<cluster>/<host>` (or `<dc>/host/<host>` for a standalone host). */
    findHost(datacenter: string, hostPath: string): Promise<ManagedObjectRef | null> {
        return this.findTyped(joinPath(datacenter, "host", hostPath), ["HostSystem"]);
    }

    /**
     * The full inventory path of an object ("/DC0/vm/spectro-templates/r_name"): its ancestors
     * through `parent` (`parentVApp` for VMs in a vApp) up to the root folder, fetched in ONE
     * RetrievePropertiesEx with a traversal that follows `parent` (as govmomi's mo.Ancestors does),
     * instead of one call per level: a drift check against a distant vCenter pays one round trip.
     * Names are as vSphere stores them ("/" in a name appears as %2f).
     */
    async inventoryPath(ref: ManagedObjectRef): Promise<string> {
        const up = (name: string | undefined, type: string, path: string) =>
            el("selectSet", [el("name", name ?? ""), el("type", type), el("path", path), el("skip", "false"), el("selectSet", [el("name", "ancestors")])], { "xsi:type": "TraversalSpec" });
        const spec = el("specSet", [
            el("propSet", [el("type", "ManagedEntity"), el("all", "false"), el("pathSet", "name"), el("pathSet", "parent")]),
            el("propSet", [el("type", "VirtualMachine"), el("all", "false"), el("pathSet", "parentVApp")]),
            el("objectSet", [moRefElement("obj", ref), el("skip", "false"), up("ancestors", "ManagedEntity", "parent"), up(undefined, "VirtualMachine", "parentVApp")]),
        ]);
        const entities = new Map<string, { name: string; parent?: ManagedObjectRef }>();
        for (const obj of await this.retrieveObjects(spec)) {
            const self = toMoRef(child(obj, "obj"));
            if (!self) continue;
            const props = new Map(children(obj, "propSet").map((p) => [text(child(p, "name")), child(p, "val")]));
            const entry = entities.get(`${self.type}:${self.value}`) ?? { name: "" };
            if (props.has("name")) entry.name = text(props.get("name"));
            entry.parent = toMoRef(props.get("parent")) ?? toMoRef(props.get("parentVApp")) ?? entry.parent;
            entities.set(`${self.type}:${self.value}`, entry);
        }
        if (!entities.has(`${ref.type}:${ref.value}`)) {
            throw new VsphereFault(`vSphere RetrievePropertiesEx: ${ref.type} ${ref.value} does not exist`, { method: "RetrievePropertiesEx", faultType: "ManagedObjectNotFound", faultString: "" });
        }
        const names: string[] = [];
        let current: ManagedObjectRef | undefined = ref;
        for (let depth = 0; current && depth < 100; depth++) {
            const entry = entities.get(`${current.type}:${current.value}`);
            if (!entry) {
                // An ancestor the traversal did not return (a server that limits it): ask level by level from there.
                return (await this.inventoryPathByLevels(current)).replace(/\/$/, "") + (names.length ? `/${names.join("/")}` : "");
            }
            if (!entry.parent) {
                break; // the root folder ("Datacenters") is not part of paths
            }
            names.unshift(entry.name);
            current = entry.parent;
        }
        return "/" + names.join("/");
    }

    /** inventoryPath by one RetrievePropertiesEx per level: the fallback of the one-call form. */
    private async inventoryPathByLevels(ref: ManagedObjectRef): Promise<string> {
        const names: string[] = [];
        let current: ManagedObjectRef | undefined = ref;
        for (let depth = 0; current && depth < 100; depth++) {
            const props: Record<string, unknown> = await this.getProperties(
                current,
                current.type === "VirtualMachine" ? ["name", "parent", "parentVApp"] : ["name", "parent"],
            );
            const parent = (props.parent ?? props.parentVApp) as ManagedObjectRef | undefined;
            if (!parent) {
                break;
            }
            names.unshift(String(props.name ?? ""));
            current = parent;
        }
        return "/" + names.join("/");
    }

    // -----------------------------------------------------------------------------------------
    // Properties

    /**
     * PropertyCollector.RetrievePropertiesEx for one object: the raw `val` element of each
     * property that is set (unset properties are absent). Throws VsphereFault
     * "ManagedObjectNotFound" when the object does not exist.
     */
    async retrieveProperties(ref: ManagedObjectRef, paths: string[]): Promise<Map<string, XmlElement>> {
        const spec = el("specSet", [
            el("propSet", [el("type", ref.type), el("all", paths.length === 0 ? "true" : "false"), ...paths.map((p) => el("pathSet", p))]),
            el("objectSet", [moRefElement("obj", ref), el("skip", "false")]),
        ]);
        const out = new Map<string, XmlElement>();
        for (const obj of await this.retrieveObjects(spec)) {
            for (const prop of children(obj, "propSet")) {
                const val = child(prop, "val");
                if (val) {
                    out.set(text(child(prop, "name")), val);
                }
            }
            for (const missing of children(obj, "missingSet")) {
                const fault = localizedFault(child(missing, "fault"));
                const faultType = fault?.faultType ?? "";
                if (faultType === "InvalidProperty" || faultType === "") {
                    continue; // an unset or not-applicable property: absent
                }
                const path = text(child(missing, "path"));
                throw new VsphereFault(`vSphere RetrievePropertiesEx: cannot read ${path} of ${ref.type} ${ref.value}: ${faultType}`, {
                    method: "RetrievePropertiesEx",
                    faultType,
                    faultString: fault?.localizedMessage ?? "",
                });
            }
        }
        return out;
    }

    /** RetrievePropertiesEx of `spec`, then ContinueRetrievePropertiesEx while the server gives a token: every page's `objects`. */
    private async retrieveObjects(spec: XmlElement): Promise<XmlElement[]> {
        const objects: XmlElement[] = [];
        let [ret] = await this.call("RetrievePropertiesEx", this.serviceContent.propertyCollector, [spec, el("options")]);
        for (;;) {
            objects.push(...children(ret, "objects"));
            const token = text(child(ret, "token"));
            if (!token) {
                return objects;
            }
            [ret] = await this.call("ContinueRetrievePropertiesEx", this.serviceContent.propertyCollector, [el("token", token)]);
        }
    }

    /**
     * Like retrieveProperties, converted to plain values (see soapXml.toPlain): strings, numbers,
     * booleans, `{ type, value }` references, arrays and objects. Unset properties are absent.
     */
    async getProperties(ref: ManagedObjectRef, paths: string[]): Promise<Record<string, unknown>> {
        const raw = await this.retrieveProperties(ref, paths);
        const out: Record<string, unknown> = {};
        for (const [name, val] of raw) {
            out[name] = toPlain(val);
        }
        return out;
    }

    /** The properties of a VM or template that the OVA-template provider needs; null if it is gone. */
    async getVmSummary(vm: ManagedObjectRef): Promise<VmSummary | null> {
        let p: Record<string, unknown>;
        try {
            p = await this.getProperties(vm, ["name", "parent", "config.template", "config.annotation", "summary.config.vmPathName", "resourcePool"]);
        } catch (e) {
            if (isNotFoundFault(e)) {
                return null;
            }
            throw e;
        }
        return {
            ref: vm,
            name: String(p.name ?? ""),
            parent: p.parent as ManagedObjectRef | undefined,
            template: p["config.template"] === true,
            annotation: typeof p["config.annotation"] === "string" ? (p["config.annotation"] as string) : "",
            vmPathName: p["summary.config.vmPathName"] as string | undefined,
            resourcePool: p.resourcePool as ManagedObjectRef | undefined,
        };
    }

    // -----------------------------------------------------------------------------------------
    // Tasks

    async getTaskInfo(task: ManagedObjectRef): Promise<TaskInfo> {
        const props = await this.retrieveProperties(task, ["info"]);
        const info = props.get("info");
        if (!info) {
            throw new Error(`vSphere: task ${task.value} has no info`);
        }
        const result = child(info, "result");
        return {
            key: text(child(info, "key")),
            task: toMoRef(child(info, "task")) ?? task,
            name: text(child(info, "name")) || undefined,
            descriptionId: text(child(info, "descriptionId")) || undefined,
            entity: toMoRef(child(info, "entity")),
            entityName: text(child(info, "entityName")) || undefined,
            state: text(child(info, "state")) as TaskInfoState,
            error: localizedFault(child(info, "error")),
            result: result ? toPlain(result) : undefined,
            progress: optionalNumber(text(child(info, "progress")) || undefined),
        };
    }

    /**
     * Polls `info` until the task succeeds (returns its result) or fails (throws VsphereFault whose
     * message contains the task's `info.error.localizedMessage` verbatim and the fault type).
     */
    async waitForTask(task: ManagedObjectRef, what = "task", opts: WaitOptions = {}): Promise<unknown> {
        const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
        let delay = 50;
        for (;;) {
            const info = await this.getTaskInfo(task);
            if (info.state === "success") {
                return info.result;
            }
            if (info.state === "error") {
                const faultType = info.error?.faultType ?? "";
                const msg = info.error?.localizedMessage || faultType || "unknown error";
                const on = info.entity ? ` on ${info.entity.type} ${info.entityName ?? info.entity.value}` : "";
                throw new VsphereFault(`vSphere ${what} (${task.value})${on} failed: ${msg}${faultType && faultType !== msg ? ` (${faultType})` : ""}`, {
                    method: what,
                    faultType,
                    faultString: info.error?.localizedMessage ?? "",
                });
            }
            if (Date.now() > deadline) {
                throw new Error(`vSphere ${what} (${task.value}) did not finish in ${Math.round((opts.timeoutMs ?? 1_800_000) / 1000)} s (state ${info.state})`);
            }
            await sleep(delay);
            delay = Math.min(delay * 2, this.options.pollIntervalMs);
        }
    }

    private async runTask(method: string, thisRef: ManagedObjectRef, params: XmlElement[], opts?: WaitOptions): Promise<unknown> {
        const [ret] = await this.call(method, thisRef, params);
        return this.waitForTask(requireRef(ret, `${method} task`), method, opts);
    }

    // -----------------------------------------------------------------------------------------
    // OVF import

    /** OvfManager.CreateImportSpec. Throws VsphereFault when the server reports errors. */
    async createImportSpec(p: CreateImportSpecParams): Promise<ImportSpecResult> {
        const cisp = el("cisp", [
            el("locale", p.locale ?? ""),
            el("deploymentOption", p.deploymentOption ?? ""),
            el("entityName", p.entityName),
            ...(p.hostSystem ? [moRefElement("hostSystem", p.hostSystem)] : []),
            ...(p.networkMapping ?? []).map((m) => el("networkMapping", [el("name", m.name), moRefElement("network", m.network)])),
            ...(p.ipAllocationPolicy ? [el("ipAllocationPolicy", p.ipAllocationPolicy)] : []),
            ...(p.ipProtocol ? [el("ipProtocol", p.ipProtocol)] : []),
            ...(p.propertyMapping ?? []).map((kv) => el("propertyMapping", [el("key", kv.key), el("value", kv.value)])),
            ...(p.diskProvisioning ? [el("diskProvisioning", p.diskProvisioning)] : []),
        ]);
        const [ret] = await this.call("CreateImportSpec", this.serviceContent.ovfManager, [
            el("ovfDescriptor", p.ovfDescriptor),
            moRefElement("resourcePool", p.resourcePool),
            moRefElement("datastore", p.datastore),
            cisp,
        ]);
        const errors = children(ret, "error").map((e) => localizedFault(e) as LocalizedFault);
        const warnings = children(ret, "warning").map((e) => localizedFault(e) as LocalizedFault);
        if (errors.length > 0) {
            const list = errors.map((e) => `${e.localizedMessage || e.faultType}${e.faultType ? ` (${e.faultType})` : ""}`).join("; ");
            throw new VsphereFault(`vSphere CreateImportSpec for "${p.entityName}" reported ${errors.length} error(s): ${list}`, {
                method: "CreateImportSpec",
                faultType: errors[0].faultType,
                faultString: errors[0].localizedMessage,
                faults: errors,
            });
        }
        const specEl = child(ret, "importSpec");
        if (!specEl) {
            throw new Error(`vSphere CreateImportSpec for "${p.entityName}" returned no import spec`);
        }
        const fileItems: OvfFileItem[] = children(ret, "fileItem").map((f) => ({
            deviceId: text(child(f, "deviceId")),
            path: text(child(f, "path")),
            size: optionalNumber(child(f, "size") ? text(child(f, "size")) : undefined),
            chunkSize: optionalNumber(child(f, "chunkSize") ? text(child(f, "chunkSize")) : undefined),
            compressionMethod: child(f, "compressionMethod") ? text(child(f, "compressionMethod")) : undefined,
            cimType: Number(text(child(f, "cimType")) || "0"),
            create: optionalBoolean(text(child(f, "create"))) ?? false,
        }));
        return {
            importSpec: { xsiType: xsiType(specEl) ?? "VirtualMachineImportSpec", element: specEl },
            fileItems,
            warnings,
            errors: [],
        };
    }

    /** The import spec as XML text (for logs and tests; it holds no secrets). */
    static importSpecXml(spec: ImportSpec): string {
        return buildXml(spec.element, false);
    }

    /** ResourcePool.ImportVApp: creates the VM (in `folder`) and returns its HttpNfcLease. */
    async importVApp(pool: ManagedObjectRef, spec: ImportSpec, folder?: ManagedObjectRef, host?: ManagedObjectRef): Promise<ManagedObjectRef> {
        const specEl = renamed(spec.element, "spec");
        specEl.attrs = { ...specEl.attrs, "xsi:type": spec.xsiType };
        const [ret] = await this.call("ImportVApp", pool, [
            specEl,
            ...(folder ? [moRefElement("folder", folder)] : []),
            ...(host ? [moRefElement("host", host)] : []),
        ]);
        return requireRef(ret, "ImportVApp lease");
    }

    /** Replaces a "*" host in an NFC URL with this connection's host:port (as govmomi's ParseURL). */
    resolveDeviceUrl(rawUrl: string): string {
        const m = /^(https?:\/\/)\*(?::\d+)?(\/.*)?$/i.exec(rawUrl);
        return m ? `${m[1]}${this.host}${m[2] ?? ""}` : rawUrl;
    }

    /** Reads the lease's state, error and (when ready) info. */
    async getLeaseState(lease: ManagedObjectRef): Promise<{ state: HttpNfcLeaseState; error?: LocalizedFault; info?: HttpNfcLeaseInfo }> {
        const props = await this.retrieveProperties(lease, ["state", "error", "info"]);
        const state = text(props.get("state")) as HttpNfcLeaseState;
        const error = localizedFault(props.get("error"));
        const infoEl = props.get("info");
        return { state, error, info: infoEl ? this.parseLeaseInfo(lease, infoEl) : undefined };
    }

    private parseLeaseInfo(lease: ManagedObjectRef, info: XmlElement): HttpNfcLeaseInfo {
        const deviceUrls: HttpNfcLeaseDeviceUrl[] = children(info, "deviceUrl").map((d) => {
            const rawUrl = text(child(d, "url"));
            return {
                key: text(child(d, "key")),
                importKey: text(child(d, "importKey")),
                url: this.resolveDeviceUrl(rawUrl),
                rawUrl,
                sslThumbprint: text(child(d, "sslThumbprint")),
                disk: optionalBoolean(child(d, "disk") ? text(child(d, "disk")) : undefined),
                targetId: child(d, "targetId") ? text(child(d, "targetId")) : undefined,
                datastoreKey: child(d, "datastoreKey") ? text(child(d, "datastoreKey")) : undefined,
                fileSize: optionalNumber(child(d, "fileSize") ? text(child(d, "fileSize")) : undefined),
            };
        });
        return {
            lease: toMoRef(child(info, "lease")) ?? lease,
            entity: requireRef(child(info, "entity"), "HttpNfcLease info.entity"),
            deviceUrls,
            totalDiskCapacityInKB: Number(text(child(info, "totalDiskCapacityInKB")) || "0"),
            leaseTimeout: Number(text(child(info, "leaseTimeout")) || "0"),
        };
    }

    /**
     * Waits until the lease leaves "initializing": returns its info when "ready", throws
     * VsphereFault (with the lease error's localizedMessage and fault type) when "error".
     */
    async waitForLease(lease: ManagedObjectRef, opts: WaitOptions = {}): Promise<HttpNfcLeaseInfo> {
        const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
        const deadline = Date.now() + timeoutMs;
        let delay = 50;
        for (;;) {
            const s = await this.getLeaseState(lease);
            if (s.state === "ready") {
                if (!s.info) {
                    throw new Error(`vSphere HttpNfcLease ${lease.value} is ready but has no info`);
                }
                return s.info;
            }
            if (s.state === "error" || s.state === "done") {
                const faultType = s.error?.faultType ?? "";
                const msg = s.error?.localizedMessage || faultType || `lease is ${s.state}`;
                throw new VsphereFault(`vSphere HttpNfcLease ${lease.value} failed: ${msg}${faultType && faultType !== msg ? ` (${faultType})` : ""}`, {
                    method: "HttpNfcLease",
                    faultType,
                    faultString: s.error?.localizedMessage ?? "",
                });
            }
            if (Date.now() > deadline) {
                throw new Error(`vSphere HttpNfcLease ${lease.value} was not ready after ${Math.round(timeoutMs / 1000)} s (state ${s.state})`);
            }
            await sleep(delay);
            delay = Math.min(delay * 2, this.options.pollIntervalMs);
        }
    }

    /**
     * Pairs each file of the import spec with its lease device URL (fileItem.deviceId ==
     * deviceUrl.importKey). Throws if a file has no device URL.
     */
    static matchDeviceUrls(info: HttpNfcLeaseInfo, fileItems: OvfFileItem[]): { fileItem: OvfFileItem; deviceUrl: HttpNfcLeaseDeviceUrl }[] {
        return fileItems.map((fileItem) => {
            const deviceUrl = info.deviceUrls.find((d) => d.importKey === fileItem.deviceId);
            if (!deviceUrl) {
                throw new Error(
                    `vSphere HttpNfcLease ${info.lease.value} has no device URL for ${fileItem.path} (${fileItem.deviceId}); ` +
                        `it has ${info.deviceUrls.map((d) => d.importKey).join(", ") || "none"}`,
                );
            }
            return { fileItem, deviceUrl };
        });
    }

    /** HttpNfcLeaseProgress (0..100). Call it regularly during uploads or the lease times out. */
    async leaseProgress(lease: ManagedObjectRef, percent: number): Promise<void> {
        const p = Math.max(0, Math.min(100, Math.round(percent)));
        await this.call("HttpNfcLeaseProgress", lease, [el("percent", String(p))]);
    }

    /**
     * Calls HttpNfcLeaseProgress every `intervalMs` (default 10 s; vCenter's lease timeout is
     * 300 s) with `percent()` until stopped.
     */
    startLeaseKeepAlive(lease: ManagedObjectRef, percent: () => number, intervalMs = 10_000): LeaseKeepAlive {
        let lastError: Error | undefined;
        let inFlight: Promise<void> = Promise.resolve();
        const timer = setInterval(() => {
            inFlight = this.leaseProgress(lease, percent()).then(
                () => {
                    lastError = undefined;
                },
                (e: Error) => {
                    lastError = e;
                },
            );
        }, intervalMs);
        timer.unref?.();
        return {
            async stop() {
                clearInterval(timer);
                await inFlight;
            },
            get lastError() {
                return lastError;
            },
        };
    }

    /** HttpNfcLeaseComplete: the import is done; the VM is kept. */
    async leaseComplete(lease: ManagedObjectRef): Promise<void> {
        await this.call("HttpNfcLeaseComplete", lease, []);
    }

    /**
     * HttpNfcLeaseAbort with a SystemError carrying `message`. vCenter then removes the VM being
     * imported; vcsim (govmomi 0.24.2 and v0.56) keeps it: callers should destroy `info.entity` afterwards
     * (ignoring ManagedObjectNotFound).
     */
    async leaseAbort(lease: ManagedObjectRef, message?: string): Promise<void> {
        const params = message
            ? [el("fault", [el("fault", [el("reason", message)], { "xsi:type": "SystemError" }), el("localizedMessage", message)])]
            : [];
        await this.call("HttpNfcLeaseAbort", lease, params);
    }

    /**
     * Streams `size` bytes to a lease device URL: POST with Content-Type
     * application/x-vnd.vmware-streamVmdk for .vmdk, PUT otherwise (see UploadOptions), with this
     * client's TLS settings (plus pinning to `sslThumbprint` when given).
     */
    uploadToDeviceUrl(url: string, stream: Readable, size: number, opts: UploadOptions = {}): Promise<UploadResult> {
        const resolved = this.resolveDeviceUrl(url);
        let cookie = opts.cookie;
        if (cookie === undefined && this.cookie && new URL(resolved).host === this.host) {
            cookie = this.cookie;
        }
        return uploadStream(resolved, stream, size, this.tls, { ...opts, cookie });
    }

    /** Like uploadToDeviceUrl, from lent segments (the OVA reader's shared buffers, no copies): see uploadSegments. */
    uploadSegmentsToDeviceUrl(url: string, segments: AsyncIterable<UploadSegment>, size: number, opts: UploadOptions = {}): Promise<UploadResult> {
        const resolved = this.resolveDeviceUrl(url);
        let cookie = opts.cookie;
        if (cookie === undefined && this.cookie && new URL(resolved).host === this.host) {
            cookie = this.cookie;
        }
        return uploadSegments(resolved, segments, size, this.tls, { ...opts, cookie });
    }

    // -----------------------------------------------------------------------------------------
    // VM and folder operations

    /** VirtualMachine.MarkAsTemplate (the VM must be powered off). */
    async markAsTemplate(vm: ManagedObjectRef): Promise<void> {
        await this.call("MarkAsTemplate", vm, []);
    }

    /** VirtualMachine.MarkAsVirtualMachine: back to a VM in `pool` (optionally on `host`). */
    async markAsVirtualMachine(vm: ManagedObjectRef, pool: ManagedObjectRef, host?: ManagedObjectRef): Promise<void> {
        await this.call("MarkAsVirtualMachine", vm, [moRefElement("pool", pool), ...(host ? [moRefElement("host", host)] : [])]);
    }

    /** ManagedEntity.Rename_Task. Throws VsphereFault "DuplicateName" if the name is taken. */
    async rename(entity: ManagedObjectRef, newName: string, opts?: WaitOptions): Promise<void> {
        await this.runTask("Rename_Task", entity, [el("newName", newName)], opts);
    }

    /** ManagedEntity.Destroy_Task. Throws VsphereFault "ManagedObjectNotFound" if already gone. */
    async destroy(entity: ManagedObjectRef, opts?: WaitOptions): Promise<void> {
        await this.runTask("Destroy_Task", entity, [], opts);
    }

    /** VirtualMachine.ReconfigVM_Task with only the annotation (allowed on templates too). */
    async setAnnotation(vm: ManagedObjectRef, annotation: string, opts?: WaitOptions): Promise<void> {
        await this.runTask("ReconfigVM_Task", vm, [el("spec", [el("annotation", annotation)])], opts);
    }

    /** Folder.MoveIntoFolder_Task. */
    async moveIntoFolder(folder: ManagedObjectRef, entities: ManagedObjectRef[], opts?: WaitOptions): Promise<void> {
        await this.runTask("MoveIntoFolder_Task", folder, entities.map((e) => moRefElement("list", e)), opts);
    }

    /** Folder.CreateFolder. Throws VsphereFault "DuplicateName" if a child has that name. */
    async createFolder(parent: ManagedObjectRef, name: string): Promise<ManagedObjectRef> {
        const [ret] = await this.call("CreateFolder", parent, [el("name", name)]);
        return requireRef(ret, "CreateFolder result");
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP round trip

interface CallContext {
    endpoint: SoapEndpoint;
    tls: TlsSettings;
    agent: Agent;
    timeoutMs: number;
    state: { cookie: string | undefined; apiVersion: string };
}

function sessionCookieFrom(setCookie: string | string[] | undefined): string | undefined {
    const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
    for (const c of list) {
        const pair = c.split(";")[0].trim();
        if (pair.startsWith(`${SESSION_COOKIE}=`)) {
            return pair;
        }
    }
    return undefined;
}

async function rawCall(ctx: CallContext, method: string, thisRef: ManagedObjectRef, params: XmlElement[]): Promise<XmlElement[]> {
    const body = buildRequest(method, thisRef, params);
    const headers: Record<string, string> = {
        "content-type": 'text/xml; charset="utf-8"',
        soapaction: `urn:vim25/${ctx.state.apiVersion}`,
    };
    if (ctx.state.cookie) {
        headers.cookie = ctx.state.cookie;
    }
    let status: number;
    let responseText: string;
    try {
        const res = await request(ctx.endpoint.url, {
            method: "POST",
            headers,
            body,
            dispatcher: ctx.agent,
            headersTimeout: ctx.timeoutMs,
            bodyTimeout: ctx.timeoutMs,
        });
        status = res.statusCode;
        const cookie = sessionCookieFrom(res.headers["set-cookie"]);
        if (cookie) {
            ctx.state.cookie = cookie;
        }
        responseText = await res.body.text();
    } catch (e) {
        throw transportError(`vSphere ${method} to`, ctx.endpoint.url, e, ctx.tls);
    }
    return parseResponse(method, status, responseText);
}

function parseServiceContent(sc: XmlElement | undefined): ServiceContent {
    const about = child(sc, "about");
    const aboutInfo: AboutInfo = {
        name: text(child(about, "name")),
        fullName: text(child(about, "fullName")),
        version: text(child(about, "version")),
        build: text(child(about, "build")),
        apiType: text(child(about, "apiType")),
        apiVersion: text(child(about, "apiVersion")),
        instanceUuid: text(child(about, "instanceUuid")) || undefined,
    };
    return {
        rootFolder: requireRef(child(sc, "rootFolder"), "ServiceContent.rootFolder"),
        propertyCollector: requireRef(child(sc, "propertyCollector"), "ServiceContent.propertyCollector"),
        searchIndex: requireRef(child(sc, "searchIndex"), "ServiceContent.searchIndex"),
        sessionManager: requireRef(child(sc, "sessionManager"), "ServiceContent.sessionManager"),
        ovfManager: requireRef(child(sc, "ovfManager"), "ServiceContent.ovfManager"),
        about: aboutInfo,
    };
}
