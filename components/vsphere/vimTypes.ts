/**
 * Typed shapes of the few vim25 (vSphere Web Services API) objects the SOAP client reads and
 * writes. Names follow the vim25 WSDL (see govmomi's vim25/types/types.go).
 */
import type { XmlElement } from "./soapXml";

/** How to reach vCenter. Secrets (`password`) are never put in errors or logs. */
export interface VsphereConnection {
    /** "host", "host:port" or "https://host[:port][/sdk]"; the path defaults to /sdk, the port to 443. */
    server: string;
    user: string;
    password: string;
    /** Skip TLS certificate verification (default false). */
    allowUnverifiedSsl?: boolean;
    /** PEM file with the CA certificate(s) that signed vCenter's (and the ESXi hosts') certificates. */
    caFile?: string;
}

export interface ManagedObjectRef {
    type: string;
    value: string;
}

export interface AboutInfo {
    name: string;
    fullName: string;
    version: string;
    build: string;
    apiType: string;
    apiVersion: string;
    instanceUuid?: string;
}

/** The parts of ServiceContent this client uses. */
export interface ServiceContent {
    rootFolder: ManagedObjectRef;
    propertyCollector: ManagedObjectRef;
    searchIndex: ManagedObjectRef;
    sessionManager: ManagedObjectRef;
    ovfManager: ManagedObjectRef;
    about: AboutInfo;
}

export interface UserSession {
    key: string;
    userName: string;
}

/** A vim25 LocalizedMethodFault: the fault's type name and its localized message. */
export interface LocalizedFault {
    faultType: string;
    localizedMessage: string;
}

export type OvfDiskProvisioning =
    | "monolithicSparse"
    | "monolithicFlat"
    | "twoGbMaxExtentSparse"
    | "twoGbMaxExtentFlat"
    | "thin"
    | "thick"
    | "sparse"
    | "flat"
    | "seSparse"
    | "eagerZeroedThick";

export interface OvfNetworkMapping {
    /** Network name in the OVF descriptor's NetworkSection (e.g. "nic-net"). */
    name: string;
    network: ManagedObjectRef;
}

export interface CreateImportSpecParams {
    /** The OVF descriptor (the .ovf file's XML text). */
    ovfDescriptor: string;
    resourcePool: ManagedObjectRef;
    datastore: ManagedObjectRef;
    /** Name of the VM to create. */
    entityName: string;
    networkMapping?: OvfNetworkMapping[];
    /** Default: the server's default (thick). */
    diskProvisioning?: OvfDiskProvisioning;
    hostSystem?: ManagedObjectRef;
    locale?: string;
    deploymentOption?: string;
    propertyMapping?: { key: string; value: string }[];
    ipAllocationPolicy?: "dhcpPolicy" | "transientPolicy" | "fixedPolicy" | "fixedAllocatedPolicy";
    ipProtocol?: "IPv4" | "IPv6";
}

/**
 * The import spec returned by CreateImportSpec, kept as the server's XML (with every `xsi:type`
 * and the element order) so that it can be sent back to ImportVApp intact.
 */
export interface ImportSpec {
    /** e.g. "VirtualMachineImportSpec" or "VirtualAppImportSpec". */
    readonly xsiType: string;
    readonly element: XmlElement;
}

/** vim25 OvfFileItem: a file of the OVF package to upload. */
export interface OvfFileItem {
    /** Matches HttpNfcLeaseDeviceUrl.importKey. */
    deviceId: string;
    /** The file's href in the OVF References section (e.g. "disk-0.vmdk"). */
    path: string;
    size?: number;
    chunkSize?: number;
    compressionMethod?: string;
    cimType: number;
    /** true for files to be created as-is (ISO, nvram): upload with PUT; false for disks (POST). */
    create: boolean;
}

export interface ImportSpecResult {
    importSpec: ImportSpec;
    fileItems: OvfFileItem[];
    warnings: LocalizedFault[];
    /** Always empty: createImportSpec throws when the server reports errors. */
    errors: LocalizedFault[];
}

export type HttpNfcLeaseState = "initializing" | "ready" | "done" | "error";

export interface HttpNfcLeaseDeviceUrl {
    key: string;
    importKey: string;
    /** The URL to upload to, with a "*" host replaced by the connection's host:port. */
    url: string;
    /** The URL as the server sent it. */
    rawUrl: string;
    /** SHA-1 thumbprint of the target host's certificate (ESXi), "" if none. */
    sslThumbprint: string;
    disk?: boolean;
    targetId?: string;
    datastoreKey?: string;
    fileSize?: number;
}

export interface HttpNfcLeaseInfo {
    lease: ManagedObjectRef;
    /** The VM (or vApp) being imported. */
    entity: ManagedObjectRef;
    deviceUrls: HttpNfcLeaseDeviceUrl[];
    totalDiskCapacityInKB: number;
    /** Seconds. */
    leaseTimeout: number;
}

export type TaskInfoState = "queued" | "running" | "success" | "error";

export interface TaskInfo {
    key: string;
    task: ManagedObjectRef;
    name?: string;
    descriptionId?: string;
    entity?: ManagedObjectRef;
    entityName?: string;
    state: TaskInfoState;
    error?: LocalizedFault;
    /** The task's result converted with toPlain (e.g. a ManagedObjectRef). */
    result?: unknown;
    progress?: number;
}

/** The properties of a VM (or template) that the OVA-template provider reads. */
export interface VmSummary {
    ref: ManagedObjectRef;
    name: string;
    parent?: ManagedObjectRef;
    template: boolean;
    annotation: string;
    vmPathName?: string;
    resourcePool?: ManagedObjectRef;
}
