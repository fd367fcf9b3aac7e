/**
 * The typed stack configuration. `loadConfig()` reads every key of CONFIG_KEYS, applies the
 * defaults, and validates everything before the program declares a single resource: a bad stack
 * file fails with one message listing every problem, each naming the key, what is wrong and a
 * valid example, and nothing is created.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigKeySpec, PROJECT_NAME, configKey } from "./configKeys";
import { PackBinary, ovaTemplateName, parsePackBinary } from "./names";
import { AWS_REGION_PATTERN, registryHost, repositoryBase } from "./setup/setupEnvironment";
import { MAX_ATTEMPT_TIMEOUT_MINUTES } from "./setup/runScript";

export type RegistryKind = "harbor" | "ecr" | "generic";
export type DiskProvisioning = "thin" | "thick" | "eagerZeroedThick";
export type FileServerMode = "vm" | "docker";

export interface VsphereSettings {
    server: string;
    user: string;
    /** Secret. */
    password: pulumi.Output<string>;
    allowUnverifiedSsl: boolean;
    caFile?: string;
    datacenter: string;
    /** Exactly one of cluster and resourcePool is set. */
    cluster?: string;
    resourcePool?: string;
    datastore: string;
    network: string;
    /** Folder path relative to the datacenter's VM folder, e.g. `spectro-templates`. */
    templateFolder: string;
}

export interface OvaSettings {
    /** Absolute local path or http(s) URL. */
    source: string;
    sha256?: string;
    /** CA of an https OVA mirror. */
    caFile?: string;
    /** `templateName` if set, else `ovaTemplateName(source)`; always starts with `r_`. */
    templateName: string;
    markAsTemplate: boolean;
    diskProvisioning: DiskProvisioning;
}

interface RegistryCommon {
    /** Repository base of the packs, default `spectro-packs`. */
    packBase: string;
    /** Repository base of the images, default `spectro-images`. */
    imageBase: string;
    /** Let destroy delete projects/repositories that still hold images. */
    allowDeleteNonEmpty: boolean;
    /** protect on the Harbor projects and ECR repositories. */
    protectContent: boolean;
}

export type LoginToolName = "oras" | "docker" | "skopeo";

export interface OciRegistrySettings extends RegistryCommon {
    kind: "harbor" | "generic";
    /** host[:port], scheme removed. */
    endpoint: string;
    username: string;
    /** Secret. */
    password: pulumi.Output<string>;
    caFile?: string;
    insecure: boolean;
}

export interface EcrRegistrySettings extends RegistryCommon {
    kind: "ecr";
    /** Region of the private registry (packs, and images when `publicImages` is false). */
    region: string;
    /** Images in ECR Public, which exists only in us-east-1. */
    publicImages: boolean;
}

export type RegistrySettings = OciRegistrySettings | EcrRegistrySettings;

export interface SetupSettings {
    binary: string;
    sha256?: string;
    packBinaries: PackBinary[];
    workDir: string;
    loginTool: LoginToolName;
    maxAttempts: number;
    /** Watchdog of each attempt of a binary, in minutes. */
    attemptTimeoutMinutes: number;
    packConcurrency: number;
    minFreeGb: number;
}

export interface FileServerSettings {
    mode: FileServerMode;
    name: string;
    /** Directory served on the file server. */
    webRoot: string;
    /** Resolved: 80, or 443 with TLS, unless configured. */
    port: number;
    tls?: { certFile: string; keyFile: string };
    vm?: {
        template: string;
        /** VM folder relative to the datacenter's VM folder; "" is that folder itself. */
        folder: string;
        cpus: number;
        memoryMb: number;
        diskGb: number;
        /** Absent means DHCP. */
        staticIp?: { cidr: string; gateway: string; dns: string[] };
        sshUser: string;
        sshPublicKey?: string;
        /** Secret. */
        sshPrivateKey?: pulumi.Output<string>;
    };
    docker?: {
        host: string;
        image: string;
        /** Secret; absent means the SSH agent. */
        sshPrivateKey?: pulumi.Output<string>;
    };
}

export type Lifecycle = "production" | "lab";

/** What `pulumi destroy` removes, keeps (retainOnDelete) and refuses (protect). */
export interface DestroySettings {
    lifecycle: Lifecycle;
    /** protect on the r_ template. */
    protectTemplate: boolean;
    /** retainOnDelete on the templates folder (it may hold other templates). */
    retainTemplatesFolder: boolean;
}

export interface AirgapConfig {
    destroy: DestroySettings;
    vsphere: VsphereSettings;
    ova: OvaSettings;
    registry: RegistrySettings;
    setup: SetupSettings;
    fileServer: FileServerSettings;
}

/** One problem of the stack configuration. */
export interface ConfigProblem {
    /** Full key, e.g. `palette-airgap:registryKind`. */
    key: string;
    message: string;
}

/**
 * The stack configuration is invalid. A `RunError`, so Pulumi prints the message without a stack
 * trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly problems: ConfigProblem[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:\n` +
                problems.map((problem) => `  - ${problem.key}: ${problem.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/**
 * Reads and validates the whole project configuration. Throws one ConfigError listing every
 * problem. Call it before declaring any resource.
 */
export function loadConfig(): AirgapConfig {
    const reader = new ConfigReader();
    const destroy = readDestroy(reader);
    const config: AirgapConfig = {
        destroy,
        vsphere: readVsphere(reader),
        ova: readOva(reader),
        registry: readRegistry(reader, destroy.lifecycle),
        setup: readSetup(reader),
        fileServer: readFileServer(reader),
    };
    reader.rejectUnknownKeys();
    reader.throwIfProblems();
    return config;
}

function readDestroy(reader: ConfigReader): DestroySettings {
    const lifecycle = reader.oneOf("lifecycle", ["production", "lab"] as const);
    const production = lifecycle !== "lab";
    return {
        lifecycle,
        protectTemplate: reader.booleanOrFollow("protectTemplate", production),
        retainTemplatesFolder: reader.booleanOrFollow("retainTemplatesFolder", production),
    };
}

function readVsphere(reader: ConfigReader): VsphereSettings {
    const cluster = reader.optionalString("cluster");
    const resourcePool = reader.optionalString("resourcePool");
    if ((cluster === undefined) === (resourcePool === undefined)) {
        reader.problem(
            "cluster",
            cluster === undefined
                ? `set cluster (or resourcePool) to say where the template is imported, e.g. ${configKey("cluster").example}`
                : `set only one of cluster ("${cluster}") and resourcePool ("${resourcePool}")`,
        );
    }
    const allowUnverifiedSsl = reader.boolean("vsphereAllowUnverifiedSsl");
    const caFile = reader.absolutePath("vsphereCaFile");
    return {
        server: reader.host("vsphereServer"),
        user: reader.requiredString("vsphereUser"),
        password: reader.secret("vspherePassword", true),
        allowUnverifiedSsl,
        caFile,
        datacenter: reader.requiredString("datacenter"),
        cluster,
        resourcePool: resourcePool === undefined ? undefined : reader.inventoryPath("resourcePool", resourcePool),
        datastore: reader.requiredString("datastore"),
        network: reader.requiredString("network"),
        templateFolder: reader.inventoryPath("templateFolder", reader.requiredString("templateFolder")),
    };
}

function readOva(reader: ConfigReader): OvaSettings {
    const source = reader.requiredString("ovaSource");
    let derivedName = "";
    if (source !== "") {
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !/^https?:\/\//i.test(source)) {
            reader.problem("ovaSource", `"${source}" is neither an http(s) URL nor an absolute path; e.g. ${configKey("ovaSource").example}`);
        } else if (!/^https?:\/\//i.test(source) && !path.isAbsolute(source)) {
            reader.problem("ovaSource", `"${source}" is a relative path; give an absolute path such as /srv/ova/u-2204-0-k-12510-0.ova or a URL`);
        } else {
            try {
                derivedName = ovaTemplateName(source);
            } catch (error) {
                reader.problem("ovaSource", (error as Error).message);
            }
        }
    }
    const override = reader.optionalString("templateName");
    if (override !== undefined && !override.startsWith("r_")) {
        reader.problem("templateName", `"${override}" does not start with r_; Palette only finds templates named r_<name>, e.g. r_${override}`);
    }
    return {
        source,
        sha256: reader.sha256("ovaSha256"),
        caFile: reader.absolutePath("ovaCaFile"),
        templateName: override ?? derivedName,
        markAsTemplate: reader.boolean("markAsTemplate"),
        diskProvisioning: reader.oneOf("diskProvisioning", ["thin", "thick", "eagerZeroedThick"] as const),
    };
}

function readRegistry(reader: ConfigReader, lifecycle: Lifecycle): RegistrySettings {
    const kind = reader.oneOf("registryKind", ["harbor", "ecr", "generic"] as const);
    const packBase = reader.repositoryBase("packBase");
    const imageBase = reader.repositoryBase("imageBase");
    if (packBase !== "" && packBase === imageBase) {
        reader.problem("imageBase", `must differ from packBase (both are "${packBase}"): packs are private, images public`);
    }
    const allowDeleteNonEmpty = reader.booleanOrFollow("registryAllowDeleteNonEmpty", lifecycle === "lab");
    const protectContent = reader.booleanOrFollow("protectRegistryContent", lifecycle !== "lab");
    const ociOnly = ["registryEndpoint", "registryUsername", "registryPassword", "registryCaFile", "registryInsecure"];
    const ecrOnly = ["ecrRegion", "ecrPublicImages"];
    if (kind === "ecr") {
        reader.notAllowedWith(ociOnly, `registryKind ecr (ECR uses AWS credentials and AWS-signed certificates)`);
        return {
            kind,
            packBase,
            imageBase,
            allowDeleteNonEmpty,
            protectContent,
            region: reader.awsRegion("ecrRegion"),
            publicImages: reader.boolean("ecrPublicImages"),
        };
    }
    reader.notAllowedWith(ecrOnly, `registryKind ${kind || "harbor/generic"}`);
    const insecure = reader.boolean("registryInsecure");
    const caFile = reader.absolutePath("registryCaFile");
    if (insecure && caFile !== undefined) {
        reader.problem("registryInsecure", `is true while registryCaFile is set; keep the CA and set registryInsecure false`);
    }
    return {
        kind: kind === "generic" ? "generic" : "harbor",
        packBase,
        imageBase,
        allowDeleteNonEmpty,
        protectContent,
        endpoint: reader.registryEndpoint("registryEndpoint"),
        username: reader.requiredOptional("registryUsername", `registryKind ${kind}`),
        password: reader.secret("registryPassword", true),
        caFile,
        insecure,
    };
}

function readSetup(reader: ConfigReader): SetupSettings {
    const binary = reader.requiredAbsolutePath("setupBinary");
    const packPaths = reader.stringArray("packBinaries");
    const packBinaries: PackBinary[] = [];
    const seen = new Map<string, string>();
    for (const packPath of packPaths) {
        if (!path.isAbsolute(packPath)) {
            reader.problem("packBinaries", `"${packPath}" is a relative path; give absolute paths, e.g. ${configKey("packBinaries").example}`);
            continue;
        }
        try {
            const pack = parsePackBinary(packPath);
            const id = `${pack.name}-${pack.version}`;
            if (seen.has(id)) {
                reader.problem("packBinaries", `pack ${id} is listed twice ("${seen.get(id)}" and "${packPath}"); keep one`);
            }
            seen.set(id, packPath);
            packBinaries.push(pack);
        } catch (error) {
            reader.problem("packBinaries", (error as Error).message);
        }
    }
    return {
        binary,
        sha256: reader.sha256("setupBinarySha256"),
        packBinaries,
        workDir: reader.requiredAbsolutePath("workDir"),
        loginTool: reader.oneOf("loginTool", ["oras", "docker", "skopeo"] as const),
        maxAttempts: reader.integer("setupMaxAttempts", 1, 10),
        attemptTimeoutMinutes: reader.integer("setupAttemptTimeoutMinutes", 1, MAX_ATTEMPT_TIMEOUT_MINUTES),
        packConcurrency: reader.integer("packConcurrency", 1, 16),
        minFreeGb: reader.integer("minFreeGb", 0, 100000),
    };
}

function readFileServer(reader: ConfigReader): FileServerSettings {
    const mode = reader.oneOf("fileServerMode", ["vm", "docker"] as const);
    const certFile = reader.absolutePath("fileServerTlsCertFile");
    const keyFile = reader.absolutePath("fileServerTlsKeyFile");
    if ((certFile === undefined) !== (keyFile === undefined)) {
        reader.problem(
            certFile === undefined ? "fileServerTlsCertFile" : "fileServerTlsKeyFile",
            `set both fileServerTlsCertFile and fileServerTlsKeyFile for HTTPS, or neither for HTTP`,
        );
    }
    const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined;
    const configuredPort = reader.integer("fileServerPort", 0, 65535);
    const webRoot = reader.requiredAbsolutePath("fileServerWebRoot");
    if (/^\/(srv|var|opt|home|usr|etc|tmp)?\/?$/.test(webRoot)) {
        reader.problem("fileServerWebRoot", `"${webRoot}" is a system directory; give a directory of its own, e.g. ${configKey("fileServerWebRoot").example}`);
    }
    const settings: FileServerSettings = {
        mode,
        name: reader.vmName("fileServerName"),
        webRoot,
        port: configuredPort === 0 ? (tls ? 443 : 80) : configuredPort,
        tls,
    };
    const vmKeys = [
        "fileServerTemplate", "fileServerVmFolder", "fileServerCpus", "fileServerMemoryMb", "fileServerDiskGb", "fileServerIp", "fileServerGateway",
        "fileServerDns", "fileServerSshUser", "fileServerSshPublicKey",
    ];
    const dockerKeys = ["fileServerDockerHost", "fileServerImage"];
    if (mode === "docker") {
        reader.notAllowedWith(vmKeys, "fileServerMode docker");
        const host = reader.requiredOptional("fileServerDockerHost", "fileServerMode docker");
        if (host !== "" && !/^(unix|ssh|tcp):\/\//.test(host)) {
            reader.problem("fileServerDockerHost", `"${host}" must start with unix://, ssh:// or tcp://; e.g. ${configKey("fileServerDockerHost").example}`);
        }
        settings.docker = {
            host,
            image: reader.requiredOptional("fileServerImage", "fileServerMode docker"),
            sshPrivateKey: reader.secret("fileServerSshPrivateKey", false),
        };
        return settings;
    }
    reader.notAllowedWith(dockerKeys, "fileServerMode vm");
    const publicKey = reader.optionalString("fileServerSshPublicKey");
    if (publicKey !== undefined && !/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(publicKey)) {
        reader.problem("fileServerSshPublicKey", `is not an OpenSSH public key; e.g. ${configKey("fileServerSshPublicKey").example}`);
    }
    const privateKey = reader.secret("fileServerSshPrivateKey", false);
    const vmFolder = reader.optionalString("fileServerVmFolder");
    if ((publicKey === undefined) !== (privateKey === undefined)) {
        reader.problem("fileServerSshPrivateKey", `set both fileServerSshPublicKey and fileServerSshPrivateKey: the key publishes the manifests over SSH`);
    }
    settings.vm = {
        template: reader.requiredOptional("fileServerTemplate", "fileServerMode vm"),
        folder: vmFolder === undefined ? "" : reader.inventoryPath("fileServerVmFolder", vmFolder),
        cpus: reader.integer("fileServerCpus", 1, 64),
        memoryMb: reader.integer("fileServerMemoryMb", 512, 1048576),
        diskGb: reader.integer("fileServerDiskGb", 10, 16384),
        staticIp: readStaticIp(reader),
        sshUser: reader.requiredString("fileServerSshUser"),
        sshPublicKey: publicKey,
        sshPrivateKey: privateKey,
    };
    return settings;
}

function readStaticIp(reader: ConfigReader): { cidr: string; gateway: string; dns: string[] } | undefined {
    const cidr = reader.optionalString("fileServerIp");
    const gateway = reader.optionalString("fileServerGateway");
    const dns = reader.stringArray("fileServerDns");
    if (cidr === undefined) {
        if (gateway !== undefined || dns.length > 0) {
            reader.problem("fileServerIp", `fileServerGateway/fileServerDns are set but fileServerIp is not; set it, e.g. ${configKey("fileServerIp").example}`);
        }
        return undefined;
    }
    if (!isIpv4Cidr(cidr)) {
        reader.problem("fileServerIp", `"${cidr}" is not an IPv4 address in CIDR form; e.g. ${configKey("fileServerIp").example}`);
    }
    if (gateway === undefined || !isIpv4(gateway)) {
        reader.problem("fileServerGateway", `${gateway === undefined ? "is required with fileServerIp" : `"${gateway}" is not an IPv4 address`}; e.g. ${configKey("fileServerGateway").example}`);
    }
    if (dns.length === 0 || dns.some((server) => !isIpv4(server))) {
        reader.problem("fileServerDns", `needs one or more IPv4 addresses with fileServerIp (air-gapped networks rarely have DHCP); e.g. ${configKey("fileServerDns").example}`);
    }
    return { cidr, gateway: gateway ?? "", dns };
}

function isIpv4(value: string): boolean {
    const parts = value.split(".");
    return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

function isIpv4Cidr(value: string): boolean {
    const [address, prefix, ...rest] = value.split("/");
    return rest.length === 0 && isIpv4(address) && /^\d{1,2}$/.test(prefix ?? "") && Number(prefix) >= 1 && Number(prefix) <= 32;
}

// The runtime knows which config keys were set with --secret but does not export it in its types.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(fullKey: string): boolean };

/**
 * Reads raw config values through the runtime (so reading a secret never warns or leaks), applies
 * the defaults of CONFIG_KEYS and collects problems instead of throwing at the first one.
 */
class ConfigReader {
    private readonly problems: ConfigProblem[] = [];

    problem(key: string, message: string): void {
        this.problems.push({ key: fullKey(key), message });
    }

    throwIfProblems(): void {
        if (this.problems.length > 0) {
            throw new ConfigError(this.problems);
        }
    }

    /** Keys of our namespace that CONFIG_KEYS does not declare: almost always a typo. */
    rejectUnknownKeys(): void {
        const declared = new Set(CONFIG_KEYS.map((spec) => fullKey(spec.key)));
        for (const key of Object.keys(pulumi.runtime.allConfig())) {
            if (key.startsWith(`${PROJECT_NAME}:`) && !declared.has(key)) {
                const nearest = nearestKey(key.slice(PROJECT_NAME.length + 1));
                this.problems.push({ key, message: `is not a palette-airgap setting${nearest ? `; did you mean ${nearest}?` : ""}` });
            }
        }
    }

    /** The raw string, or undefined when unset or empty. */
    private raw(key: string): string | undefined {
        const spec = configKey(key);
        if (spec.secret) {
            throw new Error(`palette-airgap: ${key} is a secret; read it with secret()`);
        }
        const value = pulumi.runtime.getConfig(fullKey(key));
        return value === undefined || value.trim() === "" ? undefined : value.trim();
    }

    private defaultOf(key: string): ConfigKeySpec["default"] {
        return configKey(key).default;
    }

    optionalString(key: string): string | undefined {
        return this.raw(key) ?? ((this.defaultOf(key) as string | undefined) || undefined);
    }

    requiredString(key: string): string {
        const value = this.optionalString(key);
        if (value === undefined) {
            this.problem(key, `is required; e.g. pulumi config set ${key} '${configKey(key).example}'`);
            return "";
        }
        return value;
    }

    /** A key that is optional in CONFIG_KEYS but required in the situation `when`. */
    requiredOptional(key: string, when: string): string {
        const value = this.optionalString(key);
        if (value === undefined) {
            this.problem(key, `is required with ${when}; e.g. pulumi config set ${key} '${configKey(key).example}'`);
            return "";
        }
        return value;
    }

    /** Keys that make no sense with the chosen kind: refuse them rather than ignore them silently. */
    notAllowedWith(keys: string[], when: string): void {
        for (const key of keys) {
            const isSet = configKey(key).secret ? this.secretIsSet(key) : this.raw(key) !== undefined;
            if (isSet) {
                this.problem(key, `is not used with ${when}; remove it (pulumi config rm ${key})`);
            }
        }
    }

    boolean(key: string): boolean {
        const value = this.raw(key);
        if (value === undefined) {
            return this.defaultOf(key) as boolean;
        }
        if (value !== "true" && value !== "false") {
            this.problem(key, `"${value}" is not a boolean; use true or false, e.g. ${configKey(key).example}`);
            return this.defaultOf(key) as boolean;
        }
        return value === "true";
    }

    /** A boolean that may be left empty to follow another setting (`fallback`). */
    booleanOrFollow(key: string, fallback: boolean): boolean {
        const value = this.raw(key);
        if (value === undefined) {
            return fallback;
        }
        if (value !== "true" && value !== "false") {
            this.problem(key, `"${value}" is not true, false or empty (empty follows lifecycle); e.g. ${configKey(key).example}`);
            return fallback;
        }
        return value === "true";
    }

    integer(key: string, min: number, max: number): number {
        const value = this.raw(key);
        if (value === undefined) {
            return this.defaultOf(key) as number;
        }
        if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
            this.problem(key, `"${value}" is not a whole number from ${min} to ${max}; e.g. ${configKey(key).example}`);
            return this.defaultOf(key) as number;
        }
        return Number(value);
    }

    oneOf<T extends string>(key: string, allowed: readonly T[]): T {
        const value = this.optionalString(key);
        if (value === undefined || !(allowed as readonly string[]).includes(value)) {
            this.problem(key, `${value === undefined ? "is required" : `"${value}" is not allowed`}; use one of ${allowed.join(", ")}, e.g. ${configKey(key).example}`);
            return (value ?? "") as T;
        }
        return value as T;
    }

    stringArray(key: string): string[] {
        const value = this.raw(key);
        if (value === undefined) {
            return [...((this.defaultOf(key) as string[] | undefined) ?? [])];
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(value);
        } catch {
            parsed = undefined;
        }
        if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== "string" || item.trim() === "")) {
            this.problem(key, `is not a list of strings; set items with pulumi config set --path '${key}[0]' <value>, e.g. ${configKey(key).example}`);
            return [];
        }
        return parsed.map((item: string) => item.trim());
    }

    absolutePath(key: string): string | undefined {
        const value = this.optionalString(key);
        if (value !== undefined && !path.isAbsolute(value)) {
            this.problem(key, `"${value}" is not an absolute path; e.g. ${configKey(key).example}`);
        }
        return value;
    }

    requiredAbsolutePath(key: string): string {
        return this.requiredString(key) === "" ? "" : (this.absolutePath(key) ?? "");
    }

    sha256(key: string): string | undefined {
        const value = this.optionalString(key);
        if (value !== undefined && !/^[0-9a-fA-F]{64}$/.test(value)) {
            this.problem(key, `"${value}" is not a sha256 digest (64 hex digits, as printed by sha256sum)`);
        }
        return value?.toLowerCase();
    }

    host(key: string): string {
        const value = this.requiredString(key);
        if (value !== "" && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/.test(value)) {
            this.problem(key, `"${value}" is not a host name or address (no scheme, no path); e.g. ${configKey(key).example}`);
        }
        return value;
    }

    registryEndpoint(key: string): string {
        const value = this.optionalString(key);
        if (value === undefined) {
            this.problem(key, `is required with registryKind harbor or generic; e.g. pulumi config set ${key} ${configKey(key).example}`);
            return "";
        }
        try {
            return registryHost(value, key);
        } catch (error) {
            this.problem(key, (error as Error).message.replace(/^setupEnvironment: /, ""));
            return value;
        }
    }

    repositoryBase(key: string): string {
        const value = this.optionalString(key) ?? "";
        try {
            return repositoryBase(value, key);
        } catch {
            this.problem(key, `"${value}" is not a repository base (lower case letters, digits, . _ - /); e.g. ${configKey(key).example}`);
            return value;
        }
    }

    awsRegion(key: string): string {
        const value = this.optionalString(key);
        if (value === undefined || !AWS_REGION_PATTERN.test(value)) {
            this.problem(key, `${value === undefined ? "is required with registryKind ecr" : `"${value}" is not an AWS region`}; e.g. ${configKey(key).example}`);
        }
        return value ?? "";
    }

    inventoryPath(key: string, value: string): string {
        if (value.startsWith("/") || value.endsWith("/") || value.includes("//")) {
            this.problem(key, `"${value}" must be relative to the datacenter without leading or trailing /; e.g. ${configKey(key).example}`);
        }
        return value;
    }

    vmName(key: string): string {
        const value = this.requiredString(key);
        if (value !== "" && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) {
            this.problem(key, `"${value}" must be a host-name-like name (lower case, digits, -; at most 63); e.g. ${configKey(key).example}`);
        }
        return value;
    }

    private secretIsSet(key: string): boolean {
        const value = pulumi.runtime.getConfig(fullKey(key));
        return value !== undefined && value !== "";
    }

    /**
     * A secret as a secret Output. A value stored in plain text in the stack file is a problem:
     * it would sit unencrypted in Git, so the user is told to set it again with --secret.
     */
    secret(key: string, required: true): pulumi.Output<string>;
    secret(key: string, required: false): pulumi.Output<string> | undefined;
    secret(key: string, required: boolean): pulumi.Output<string> | undefined {
        const value = pulumi.runtime.getConfig(fullKey(key));
        if (value === undefined || value === "") {
            if (required) {
                this.problem(key, `is required; ${configKey(key).example}`);
                return pulumi.secret("");
            }
            return undefined;
        }
        if (!runtimeConfig.isConfigSecret(fullKey(key))) {
            this.problem(key, `is stored in plain text in the stack file; remove it and ${configKey(key).example}`);
        }
        return pulumi.secret(value);
    }
}

function fullKey(key: string): string {
    return `${PROJECT_NAME}:${key}`;
}

/** The declared key closest to a mistyped one (case-insensitive prefix or edit distance ≤ 3). */
function nearestKey(unknown: string): string | undefined {
    let best: { key: string; distance: number } | undefined;
    for (const { key } of CONFIG_KEYS) {
        const distance = editDistance(unknown.toLowerCase(), key.toLowerCase());
        if (distance <= 3 && (best === undefined || distance < best.distance)) {
            best = { key, distance };
        }
    }
    return best?.key;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}
