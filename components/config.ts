/**
 * The typed stack configuration. `loadConfig()` reads every key of CONFIG_KEYS, applies the
 * defaults, and validates everything before the program declares a single resource: a bad stack
 * file fails with one message listing every problem, each naming the key, what is wrong and a
 * valid example, and nothing is created.
 */
import * as net from "net";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigKeySpec, PROJECT_NAME, SECTION_KEYS, configKey } from "./configKeys";

export { SECTION_KEYS };
import {
    absolutePathProblem,
    awsRegionProblem,
    controlCharacterProblem,
    credentialsProblem,
    dockerHostProblem,
    hasUrlCredentials,
    imageReferenceProblem,
    inventoryPathProblem,
    linuxUserProblem,
    normalizedAbsolutePathProblem,
    oneOfProblem,
    ovaSourceProblem,
    registryEndpointRule,
    registryUsernameProblem,
    repositoryBaseProblem,
    serverAddressProblem,
    sha256Problem,
    shown,
    staticAddressProblems,
    vsphereNameProblem,
    VsphereNameOptions,
    webRootProblem,
    withoutCredentials,
} from "./configRules";
import { PackBinary, ovaTemplateName, parsePackBinary, templateNameProblem } from "./names";
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
    /**
     * Secret: the `Authorization` header value for the mirror (`Basic …` from ovaSourceUsername and
     * ovaSourcePassword, or `Bearer …` from ovaSourceToken); absent when the mirror needs none.
     */
    authorization?: pulumi.Output<string>;
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

/** One Harbor or generic OCI registry and how to reach it. */
export interface OciConnectionSettings {
    kind: "harbor" | "generic";
    /** host[:port], scheme removed. */
    endpoint: string;
    username: string;
    /** Secret. */
    password: pulumi.Output<string>;
    caFile?: string;
    insecure: boolean;
}

/** The packs registry (the top-level fields, config registry*) and the images registry (`images`). */
export interface OciRegistrySettings extends RegistryCommon, OciConnectionSettings {
    /**
     * The images registry (config imageRegistry*, each defaulting to its registry* twin). Absent:
     * the images are on the packs registry, as when every imageRegistry* key is empty.
     */
    images?: OciConnectionSettings;
}

export interface EcrRegistrySettings extends RegistryCommon {
    kind: "ecr";
    /** Region of the private registry (packs, and images when `publicImages` is false). */
    region: string;
    /** Images in ECR Public, which exists only in us-east-1. */
    publicImages: boolean;
    /** Region of the images registry: us-east-1 for ECR Public, else config ecrImageRegion (default `region`). */
    imageRegion: string;
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

/** What loadConfigSection returns per section: the settings the part needs. */
export interface SectionSettings {
    registry: Pick<AirgapConfig, "destroy" | "registry">;
    /** The setup run pushes to the registry: its connection is read with the setup keys. */
    setup: Pick<AirgapConfig, "destroy" | "registry" | "setup">;
    /** vm mode: `vsphere` places and connects the VM. */
    fileServer: Pick<AirgapConfig, "destroy" | "fileServer"> & { vsphere?: VsphereSettings };
}

/**
 * The settings of one part (a component constructed alone), from the config keys it accepts
 * (`accepted`), validated by the same readers and rules as loadConfig(). A key of the namespace
 * outside `accepted` is refused, naming the component (`owner`). `fileServer` reads the vSphere
 * section too in vm mode (the VM's placement) and refuses its keys in docker mode.
 */
export function loadConfigSection<S extends keyof SectionSettings>(section: S, accepted: readonly string[], owner: string): SectionSettings[S] {
    const reader = new ConfigReader();
    reader.rejectKeysOutside(accepted, owner);
    const destroy = readDestroy(reader);
    const result: Partial<AirgapConfig> = { destroy };
    if (section === "registry" || section === "setup") {
        result.registry = readRegistry(reader, destroy.lifecycle);
    }
    if (section === "setup") {
        result.setup = readSetup(reader);
    }
    if (section === "fileServer") {
        result.fileServer = readFileServer(reader);
        if (result.fileServer.mode === "vm") {
            result.vsphere = readVsphere(reader);
        } else {
            reader.notAllowedWith(SECTION_KEYS.vsphere.filter((key) => accepted.includes(key)), "fileServerMode docker (the vSphere keys place the file-server VM)");
        }
    }
    reader.throwIfProblems();
    return result as SectionSettings[S];
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

/** Objects that exist already and are looked up by inventory path: vSphere's escapes (%2f …) are allowed in their names. */
const LOOKED_UP: VsphereNameOptions = { escapes: true };

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
    const datacenter = reader.requiredString("datacenter");
    reader.check("datacenter", datacenter, (name) =>
        name.includes("/") ? `${shown(name)} is a path; give the datacenter's own name (a / inside a name is written %2f), e.g. ${configKey("datacenter").example}` : vsphereNameProblem(name, LOOKED_UP),
    );
    return {
        server: reader.host("vsphereServer"),
        user: reader.requiredString("vsphereUser"),
        password: reader.secret("vspherePassword", true),
        allowUnverifiedSsl,
        caFile,
        datacenter,
        cluster: cluster === undefined ? undefined : reader.inventoryPath("cluster", cluster, LOOKED_UP),
        resourcePool: resourcePool === undefined ? undefined : reader.inventoryPath("resourcePool", resourcePool, LOOKED_UP),
        datastore: reader.inventoryPath("datastore", reader.requiredString("datastore"), LOOKED_UP),
        network: reader.inventoryPath("network", reader.requiredString("network"), LOOKED_UP),
        templateFolder: reader.inventoryPath("templateFolder", reader.requiredString("templateFolder")),
    };
}

function readOva(reader: ConfigReader): OvaSettings {
    const source = reader.requiredString("ovaSource");
    const isUrl = /^https?:\/\//i.test(source);
    let derivedName = "";
    if (source !== "") {
        const sourceProblem = ovaSourceProblem(source, configKey("ovaSource").example);
        if (sourceProblem) {
            reader.problem("ovaSource", sourceProblem);
        } else {
            try {
                derivedName = ovaTemplateName(source);
            } catch (error) {
                reader.problem("ovaSource", (error as Error).message.replace(/^ovaTemplateName: /, ""));
            }
        }
    }
    const override = reader.optionalString("templateName");
    if (override !== undefined) {
        reader.check("templateName", override, templateNameProblem);
    } else if (derivedName !== "") {
        reader.check("ovaSource", derivedName, (name) => {
            const problem = templateNameProblem(name);
            return problem && `gives the template name ${problem}; rename the OVA or set templateName, e.g. ${configKey("templateName").example}`;
        });
    }
    return {
        source,
        sha256: reader.sha256("ovaSha256"),
        caFile: reader.absolutePath("ovaCaFile"),
        authorization: readOvaAuthorization(reader, source, isUrl),
        templateName: override ?? derivedName,
        markAsTemplate: reader.boolean("markAsTemplate"),
        diskProvisioning: reader.oneOf("diskProvisioning", ["thin", "thick", "eagerZeroedThick"] as const),
    };
}

/** The mirror's Authorization header (secret) from ovaSourceUsername + ovaSourcePassword or ovaSourceToken. */
function readOvaAuthorization(reader: ConfigReader, source: string, isUrl: boolean): pulumi.Output<string> | undefined {
    const username = reader.optionalString("ovaSourceUsername");
    const password = reader.secret("ovaSourcePassword", false);
    const token = reader.secret("ovaSourceToken", false);
    if (username === undefined && password === undefined && token === undefined) {
        return undefined;
    }
    if (token !== undefined && (username !== undefined || password !== undefined)) {
        reader.problem("ovaSourceToken", `is set together with ovaSourceUsername/ovaSourcePassword; use one: a bearer token or a user and password`);
    } else if (token === undefined && (username === undefined || password === undefined)) {
        reader.problem(
            username === undefined ? "ovaSourceUsername" : "ovaSourcePassword",
            `set both ovaSourceUsername and ovaSourcePassword (pulumi config set --secret ovaSourcePassword) for basic authentication, or ovaSourceToken for a bearer token`,
        );
    }
    if (source !== "" && !isUrl) {
        reader.notAllowedWith(["ovaSourceUsername", "ovaSourcePassword", "ovaSourceToken"], "a local ovaSource (mirror authentication is for http(s) URLs)");
        return undefined;
    }
    if (/^http:\/\//i.test(source)) {
        reader.problem(
            username !== undefined ? "ovaSourceUsername" : token !== undefined ? "ovaSourceToken" : "ovaSourcePassword",
            `would send the mirror's credentials over plain http:// (${shown(source)}); serve the OVA over https:// or remove the credentials`,
        );
    }
    if (token !== undefined) {
        return pulumi.secret(token.apply((value) => `Bearer ${value}`));
    }
    if (username === undefined || password === undefined) {
        return undefined;
    }
    reader.check("ovaSourceUsername", username, registryUsernameProblem);
    return pulumi.secret(password.apply((value) => `Basic ${Buffer.from(`${username}:${value}`).toString("base64")}`));
}

function readRegistry(reader: ConfigReader, lifecycle: Lifecycle): RegistrySettings {
    const kind = reader.oneOf("registryKind", ["harbor", "ecr", "generic"] as const);
    const packBase = reader.repositoryBase("packBase", kind);
    const imageBase = reader.repositoryBase("imageBase", kind);
    const allowDeleteNonEmpty = reader.booleanOrFollow("registryAllowDeleteNonEmpty", lifecycle === "lab");
    const protectContent = reader.booleanOrFollow("protectRegistryContent", lifecycle !== "lab");
    const ociOnly = ["registryEndpoint", "registryUsername", "registryPassword", "registryCaFile", "registryInsecure", ...IMAGE_REGISTRY_KEYS];
    const ecrOnly = ["ecrRegion", "ecrPublicImages", "ecrImageRegion"];
    if (kind === "ecr") {
        reader.notAllowedWith(ociOnly, `registryKind ecr (ECR uses AWS credentials and AWS-signed certificates)`);
        const region = reader.awsRegion("ecrRegion");
        const publicImages = reader.boolean("ecrPublicImages");
        const imageRegion = readEcrImageRegion(reader, region, publicImages);
        if (!publicImages && imageRegion === region) {
            refuseSameBase(reader, packBase, imageBase);
        }
        return {
            kind,
            packBase,
            imageBase,
            allowDeleteNonEmpty,
            protectContent,
            region,
            publicImages,
            imageRegion,
        };
    }
    reader.notAllowedWith(ecrOnly, `registryKind ${kind || "harbor/generic"}`);
    const insecure = reader.boolean("registryInsecure");
    const caFile = reader.absolutePath("registryCaFile");
    if (insecure && caFile !== undefined) {
        reader.problem("registryInsecure", `is true while registryCaFile is set; keep the CA and set registryInsecure false`);
    }
    const packs: OciConnectionSettings = {
        kind: kind === "generic" ? "generic" : "harbor",
        endpoint: reader.registryEndpoint("registryEndpoint", "registryKind harbor or generic", "registryUsername and registryPassword (--secret)"),
        username: reader.registryUsername("registryUsername", `registryKind ${kind}`),
        password: reader.secret("registryPassword", true),
        caFile,
        insecure,
    };
    const images = readImageRegistry(reader, packs, imageBase);
    if (images === undefined) {
        refuseSameBase(reader, packBase, imageBase);
        if (kind === "harbor" && packBase !== imageBase && packBase.split("/")[0] === imageBase.split("/")[0]) {
            reader.problem(
                "imageBase",
                `is in the same Harbor project "${imageBase.split("/")[0]}" as packBase, but packs are private and images public and Harbor's ` +
                    `public flag is per project: give them different first path segments, e.g. spectro-packs and spectro-images`,
            );
        }
    }
    return { ...packs, packBase, imageBase, allowDeleteNonEmpty, protectContent, ...(images ? { images } : {}) };
}

/** On one registry the two bases must differ: packs are private, images public. */
function refuseSameBase(reader: ConfigReader, packBase: string, imageBase: string): void {
    if (packBase !== "" && packBase === imageBase) {
        reader.problem("imageBase", `must differ from packBase (both are "${packBase}"): packs are private, images public (on separate registries they may be equal)`);
    }
}

// --- The images registry (issue 12): imageRegistry* keys, each defaulting to its registry* twin ---

/** The images-registry keys; none of them is used with registryKind ecr. */
const IMAGE_REGISTRY_KEYS = [
    "imageRegistryKind", "imageRegistryEndpoint", "imageRegistryUsername", "imageRegistryPassword", "imageRegistryCaFile", "imageRegistryInsecure",
];

/**
 * The images registry of a Harbor/generic stack, or undefined when it is the packs registry
 * (every imageRegistry* key empty, or each equal to its twin). Each key is validated as its
 * registry* twin is. One registry host has one login in a run's credentials file, so an images
 * endpoint equal to the packs endpoint must come with the same kind, credentials and TLS settings.
 */
function readImageRegistry(reader: ConfigReader, packs: OciConnectionSettings, imageBase: string): OciConnectionSettings | undefined {
    const isSet = (key: string) =>
        configKey(key).secret ? rawSecret(key) !== undefined : reader.optionalString(key) !== undefined;
    if (!IMAGE_REGISTRY_KEYS.some(isSet)) {
        return undefined;
    }
    const kindSet = reader.optionalString("imageRegistryKind") !== undefined;
    const kind = kindSet ? reader.oneOf("imageRegistryKind", ["harbor", "generic"] as const) : packs.kind;
    if (kind !== packs.kind && (kind === "harbor" || kind === "generic")) {
        // imageBase was checked for the packs registry's kind; a Harbor is stricter than a generic registry.
        reader.check("imageBase", imageBase, (value) => repositoryBaseProblem(value, kind));
    }
    const endpoint = isSet("imageRegistryEndpoint")
        ? reader.registryEndpoint("imageRegistryEndpoint", "imageRegistryKind", "imageRegistryUsername and imageRegistryPassword (--secret)")
        : packs.endpoint;
    const usernameSet = isSet("imageRegistryUsername");
    const passwordSet = isSet("imageRegistryPassword");
    if (usernameSet && !passwordSet) {
        reader.problem("imageRegistryPassword", `is required with imageRegistryUsername (another user needs its own password); ${configKey("imageRegistryPassword").example}`);
    }
    // CA and insecure are one TLS choice: when either image key is set, the other does not follow its twin.
    const caSet = isSet("imageRegistryCaFile");
    const insecureSet = isSet("imageRegistryInsecure");
    const followTls = !caSet && !insecureSet;
    const caFile = followTls ? packs.caFile : reader.absolutePath("imageRegistryCaFile");
    const insecure = followTls ? packs.insecure : reader.booleanOrFollow("imageRegistryInsecure", false);
    if (insecure && caSet) {
        reader.problem("imageRegistryInsecure", `is true while imageRegistryCaFile is set; keep the CA and set imageRegistryInsecure false`);
    }
    const images: OciConnectionSettings = {
        kind,
        endpoint,
        username: usernameSet ? reader.registryUsername("imageRegistryUsername", "imageRegistryPassword") : packs.username,
        password: passwordSet ? reader.secret("imageRegistryPassword", true) : packs.password,
        caFile,
        insecure,
    };
    if (endpoint.toLowerCase() !== packs.endpoint.toLowerCase()) {
        return images;
    }
    // The same registry: every image key that is set must agree with its twin.
    const differing: string[] = [];
    if (kindSet && kind !== packs.kind) differing.push(`imageRegistryKind (${kind}, registryKind ${packs.kind})`);
    if (usernameSet && images.username !== packs.username) differing.push("imageRegistryUsername");
    if (passwordSet && rawSecret("imageRegistryPassword") !== rawSecret("registryPassword")) differing.push("imageRegistryPassword");
    if (caSet && caFile !== packs.caFile) differing.push("imageRegistryCaFile");
    if (insecureSet && insecure !== packs.insecure) differing.push("imageRegistryInsecure");
    if (differing.length > 0) {
        reader.problem(
            differing[0].split(" ")[0],
            `${differing.join(", ")} differ${differing.length === 1 ? "s" : ""} from the registry* settings, but imageRegistryEndpoint ` +
                `${isSet("imageRegistryEndpoint") ? `is the packs registry ${packs.endpoint}` : "is empty (the packs registry)"}: one registry has one kind, ` +
                `one login and one CA. Set imageRegistryEndpoint to the images registry, e.g. ${configKey("imageRegistryEndpoint").example}, or remove these keys`,
        );
    }
    return undefined;
}

/** ECR: the images' region. ECR Public exists only in us-east-1, so ecrImageRegion is for private images. */
function readEcrImageRegion(reader: ConfigReader, region: string, publicImages: boolean): string {
    const configured = reader.optionalString("ecrImageRegion");
    if (publicImages) {
        if (configured !== undefined) {
            reader.problem("ecrImageRegion", `is not used with ecrPublicImages true (ECR Public is always in us-east-1); remove it (pulumi config rm ecrImageRegion) or set ecrPublicImages false`);
        }
        return "us-east-1";
    }
    return configured === undefined ? region : reader.awsRegion("ecrImageRegion");
}

/** A secret's raw value (only to compare two secrets; never logged), or undefined when unset or empty. */
function rawSecret(key: string): string | undefined {
    const value = pulumi.runtime.getConfig(fullKey(key));
    return value === undefined || value === "" ? undefined : value;
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
        workDir: reader.directory("workDir"),
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
    const webRoot = reader.requiredString("fileServerWebRoot");
    reader.check("fileServerWebRoot", webRoot, webRootProblem);
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
        reader.check("fileServerDockerHost", host, dockerHostProblem);
        const image = reader.requiredOptional("fileServerImage", "fileServerMode docker");
        reader.check("fileServerImage", image, imageReferenceProblem);
        settings.docker = {
            host,
            image,
            sshPrivateKey: reader.secret("fileServerSshPrivateKey", false),
        };
        return settings;
    }
    reader.notAllowedWith(dockerKeys, "fileServerMode vm");
    const publicKey = reader.optionalString("fileServerSshPublicKey");
    if (publicKey !== undefined && !/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n]*)?$/.test(publicKey)) {
        reader.problem("fileServerSshPublicKey", `is not an OpenSSH public key; e.g. ${configKey("fileServerSshPublicKey").example}`);
    }
    const privateKey = reader.secret("fileServerSshPrivateKey", false);
    const vmFolder = reader.optionalString("fileServerVmFolder");
    if ((publicKey === undefined) !== (privateKey === undefined) && !reader.isRefused("fileServerSshPublicKey")) {
        reader.problem("fileServerSshPrivateKey", `set both fileServerSshPublicKey and fileServerSshPrivateKey: the key publishes the manifests over SSH`);
    }
    settings.vm = {
        template: reader.inventoryPath("fileServerTemplate", reader.requiredOptional("fileServerTemplate", "fileServerMode vm"), LOOKED_UP),
        folder: vmFolder === undefined ? "" : reader.inventoryPath("fileServerVmFolder", vmFolder),
        cpus: reader.integer("fileServerCpus", 1, 64),
        memoryMb: reader.integer("fileServerMemoryMb", 512, 1048576),
        diskGb: reader.integer("fileServerDiskGb", 10, 16384),
        staticIp: readStaticIp(reader),
        sshUser: reader.linuxUser("fileServerSshUser"),
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
    const problems = staticAddressProblems(cidr, gateway);
    if (problems.cidr) {
        reader.problem("fileServerIp", `${problems.cidr}; e.g. ${configKey("fileServerIp").example}`);
    }
    if (gateway === undefined || problems.gateway) {
        reader.problem("fileServerGateway", `${problems.gateway ?? "is required with fileServerIp"}; e.g. ${configKey("fileServerGateway").example}`);
    }
    if (dns.length === 0 || dns.some((server) => !net.isIPv4(server))) {
        reader.problem("fileServerDns", `needs one or more IPv4 addresses with fileServerIp (air-gapped networks rarely have DHCP); e.g. ${configKey("fileServerDns").example}`);
    }
    return { cidr, gateway: gateway ?? "", dns };
}

// The runtime knows which config keys were set with --secret but does not export it in its types.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(fullKey: string): boolean };

/**
 * Reads raw config values through the runtime (so reading a secret never warns or leaks), applies
 * the defaults of CONFIG_KEYS and collects problems instead of throwing at the first one.
 */
class ConfigReader {
    private readonly problems: ConfigProblem[] = [];
    /** Keys whose raw value was refused (wrong type, control characters, credentials): one problem each is enough. */
    private readonly refusedKeys = new Set<string>();

    problem(key: string, message: string): void {
        const full = fullKey(key);
        if (this.refusedKeys.has(key) || this.problems.some((problem) => problem.key === full && problem.message === message)) {
            return;
        }
        this.problems.push({ key: full, message });
    }

    /** Reports `rule(value)`'s problem for `key`, if any; an empty value (already reported as missing) is not checked. */
    check(key: string, value: string | undefined, rule: (value: string) => string | undefined): void {
        const problem = value === undefined || value === "" ? undefined : rule(value);
        if (problem) {
            this.problem(key, problem);
        }
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

    /** Keys of our namespace that a part constructed alone does not take: a key of another part, or a typo. */
    rejectKeysOutside(accepted: readonly string[], owner: string): void {
        const allowed = new Set(accepted.map(fullKey));
        for (const key of Object.keys(pulumi.runtime.allConfig())) {
            if (!key.startsWith(`${PROJECT_NAME}:`) || allowed.has(key)) continue;
            const short = key.slice(PROJECT_NAME.length + 1);
            const declared = CONFIG_KEYS.some((spec) => spec.key === short);
            const nearest = declared ? undefined : nearestKey(short, accepted);
            this.problems.push({
                key,
                message: declared ? `is not an input of ${owner} (it configures another part); remove it` : `is not an input of ${owner}${nearest ? `; did you mean ${nearest}?` : ""}`,
            });
        }
    }

    /**
     * The raw string, or undefined when unset or empty. Refused here, once per key, for every key:
     * a YAML list or map where one value is expected, control characters, and credentials written
     * into a value (the value is then returned without them, so that no later message repeats them).
     */
    private raw(key: string): string | undefined {
        const spec = configKey(key);
        if (spec.secret) {
            throw new Error(`palette-airgap: ${key} is a secret; read it with secret()`);
        }
        const value = pulumi.runtime.getConfig(fullKey(key))?.trim();
        if (value === undefined || value === "") {
            return undefined;
        }
        if (spec.type !== "array") {
            const structure = yamlStructure(value);
            if (structure) {
                this.refuse(key, `is a YAML ${structure}; give a single ${spec.type === "string" ? "string" : spec.type}, e.g. ${key}: ${configKey(key).example}`);
                return undefined;
            }
        }
        return this.refuseUnsafeText(key, value);
    }

    /** Control characters and URL credentials, in a plain value or a list item. */
    private refuseUnsafeText(key: string, value: string): string {
        if (hasUrlCredentials(value)) {
            this.refuse(key, credentialsProblem(SECRET_KEYS_INSTEAD_OF_URL_CREDENTIALS[key] ?? "the secret keys made for them (pulumi config set --secret)"));
            return withoutCredentials(value);
        }
        const control = controlCharacterProblem(value);
        if (control) {
            this.refuse(key, control);
        }
        return value;
    }

    /** True when the key's raw value was refused (its absence then is not a further problem). */
    isRefused(key: string): boolean {
        return this.refusedKeys.has(key);
    }

    private refuse(key: string, message: string): void {
        this.problem(key, message);
        this.refusedKeys.add(key);
    }

    /** True when the key holds a value other than its declared default (as the CLI encodes it: strings as they are, the rest as JSON). */
    private isSetOtherThanDefault(key: string): boolean {
        const value = this.raw(key);
        if (value === undefined) return false;
        const declared = this.defaultOf(key);
        if (declared === undefined) return true;
        const encoded = typeof declared === "string" ? declared : JSON.stringify(declared);
        return value !== encoded;
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

    /**
     * Keys that make no sense with the chosen kind: refuse them rather than ignore them silently.
     * A value equal to the key's declared default is not the user's: the Pulumi CLI hands the
     * program every default of Pulumi.yaml's config block for keys the stack leaves unset.
     */
    notAllowedWith(keys: string[], when: string): void {
        for (const key of keys) {
            const isSet = configKey(key).secret ? this.secretIsSet(key) : this.isSetOtherThanDefault(key);
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
        const problem = oneOfProblem(value, allowed, configKey(key).example);
        if (problem) {
            this.problem(key, problem);
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
        return parsed.map((item: string) => this.refuseUnsafeText(key, item.trim()));
    }

    absolutePath(key: string): string | undefined {
        const value = this.optionalString(key);
        this.check(key, value, (text) => absolutePathProblem(text, configKey(key).example));
        return value;
    }

    requiredAbsolutePath(key: string): string {
        return this.requiredString(key) === "" ? "" : (this.absolutePath(key) ?? "");
    }

    /** A directory this package writes into: absolute, normalized, not `/`. */
    directory(key: string): string {
        const value = this.requiredString(key);
        this.check(key, value, (dir) => normalizedAbsolutePathProblem(dir) ?? (dir === "/" ? `is /; give a directory of its own, e.g. ${configKey(key).example}` : undefined));
        return value;
    }

    sha256(key: string): string | undefined {
        const value = this.optionalString(key);
        this.check(key, value, sha256Problem);
        return value?.toLowerCase();
    }

    /** `host[:port]`: a host name, an IPv4 address or a bracketed IPv6 address; no scheme, no path. */
    host(key: string): string {
        const value = this.requiredString(key);
        this.check(key, value, (text) => serverAddressProblem(text, configKey(key).example));
        return value;
    }

    /**
     * A registry endpoint (`host[:port]`, `https://` accepted), required in the situation `when`;
     * `secretKeys` names the keys that carry its credentials. Returns `host[:port]`.
     */
    registryEndpoint(key: string, when: string, secretKeys: string): string {
        const value = this.optionalString(key);
        if (value === undefined) {
            this.problem(key, `is required with ${when}; e.g. pulumi config set ${key} ${configKey(key).example}`);
            return "";
        }
        const rule = registryEndpointRule(value, secretKeys);
        if (rule.problem !== undefined) {
            this.problem(key, rule.problem);
            return withoutCredentials(value);
        }
        return rule.value;
    }

    /** A registry user, required in the situation `when`: one line, no colon (basic authentication). */
    registryUsername(key: string, when: string): string {
        const value = this.requiredOptional(key, when);
        this.check(key, value, registryUsernameProblem);
        return value;
    }

    /** A repository base that `kind` accepts (Harbor project names and ECR names are stricter than OCI paths). */
    repositoryBase(key: string, kind: string): string {
        const value = this.optionalString(key) ?? "";
        const problem = repositoryBaseProblem(value, kind);
        if (problem) {
            this.problem(key, problem);
        }
        return value;
    }

    /** A Linux user name (see linuxUserProblem). */
    linuxUser(key: string): string {
        const value = this.requiredString(key);
        this.check(key, value, linuxUserProblem);
        return value;
    }

    awsRegion(key: string): string {
        const value = this.optionalString(key);
        const problem = awsRegionProblem(value, configKey(key).example);
        if (problem) {
            this.problem(key, problem);
        }
        return value ?? "";
    }

    /** A vSphere inventory path relative to the datacenter's folder of its kind (see inventoryPathProblem). */
    inventoryPath(key: string, value: string, options: VsphereNameOptions = {}): string {
        this.check(key, value, (text) => {
            const problem = inventoryPathProblem(text, options);
            return problem && `${problem}; e.g. ${configKey(key).example}`;
        });
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
        } else if (!MULTI_LINE_SECRETS.has(key) && /[\u0000-\u001f\u007f]/.test(value)) {
            // A password set from a file keeps the file's line break, which the server then refuses.
            this.problem(key, `contains a line break or another control character (not shown); set it again without, e.g. printf %s '<value>' | pulumi config set --secret ${key}`);
        }
        return pulumi.secret(value);
    }
}

/** Secrets that are several lines by nature (a PEM or OpenSSH key); every other secret is one line. */
const MULTI_LINE_SECRETS = new Set(["fileServerSshPrivateKey"]);

/** Where credentials found inside a URL-like value belong instead. */
const SECRET_KEYS_INSTEAD_OF_URL_CREDENTIALS: Record<string, string> = {
    vsphereServer: "vsphereUser and vspherePassword (--secret)",
    ovaSource: "ovaSourceUsername and ovaSourcePassword (--secret), or ovaSourceToken (--secret) for a bearer token",
    registryEndpoint: "registryUsername and registryPassword (--secret)",
    imageRegistryEndpoint: "imageRegistryUsername and imageRegistryPassword (--secret)",
    fileServerDockerHost: "ssh://<user>@<host> with fileServerSshPrivateKey (--secret) or the SSH agent",
    fileServerImage: "an image the Docker host can pull (log the Docker host in to its registry)",
};

/** "list" or "map" when the CLI handed a structured YAML value (JSON-encoded) to a key that takes one value. */
function yamlStructure(value: string): "list" | "map" | undefined {
    if (!/^[[{]/.test(value)) {
        return undefined;
    }
    try {
        const parsed: unknown = JSON.parse(value);
        return Array.isArray(parsed) ? "list" : parsed !== null && typeof parsed === "object" ? "map" : undefined;
    } catch {
        return undefined;
    }
}

function fullKey(key: string): string {
    return `${PROJECT_NAME}:${key}`;
}

/** The declared key closest to a mistyped one (case-insensitive prefix or edit distance ≤ 3). */
function nearestKey(unknown: string, among: readonly string[] = CONFIG_KEYS.map((spec) => spec.key)): string | undefined {
    let best: { key: string; distance: number } | undefined;
    for (const key of among) {
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

