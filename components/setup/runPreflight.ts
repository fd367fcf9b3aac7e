/**
 * runPreflight: the prerequisite checks of ./preflight run at program time, before any resource
 * is declared, in `pulumi preview` as well as `pulumi up` (a preview that says "all good" while
 * the binary is missing or the registry unreachable would be a false drift check):
 * tools on PATH (ssh too when the manifests zip goes to the file server over SSH), free space in workDir, setup and pack binaries present and executable, the setup
 * binary's sha256 pin (setupBinarySha256), and for Harbor/generic registries `GET https://<endpoint>/v2/`
 * answering 200 or 401 with the configured CA (the packs registry, and the images registry when
 * it is another one, each with its own CA); the PEM files read later (vsphereCaFile, ovaCaFile,
 * fileServerTlsCertFile/KeyFile) and a local ovaSource present and readable. Every problem is reported at once, in one
 * RunError (printed by Pulumi without a stack trace), each line naming the config key and the fix.
 *
 * Set PALETTE_AIRGAP_SKIP_PREFLIGHT=1 to skip it: for the tests under the mock engine (the stack
 * files point at machines that do not exist here), or, knowingly, on a machine that only
 * previews. A skipped preflight is logged as a warning through the Pulumi engine, so a user sees
 * it in `pulumi preview`/`up`; without an engine (the SDK's mock engine of the tests) nothing is
 * printed.
 *
 *     // index.ts: a program may export an async function; its result is the stack outputs.
 *     export = async () => {
 *         const config = loadConfig();
 *         await runPreflight(config, { loginTool, minFreeGb }); // config keys loginTool, minFreeGb
 *         const environment = new AirgapEnvironment("palette", config);
 *         return { templateFolder: environment.templateFolderPath, ... };
 *     };
 */
import * as pulumi from "@pulumi/pulumi";
import type { FileServerSettings, OvaSettings, RegistrySettings, SetupSettings, VsphereSettings } from "../config";
import { fileSha256 } from "./fileDigest";
import { DEFAULT_MIN_FREE_BYTES, PemFileSpec, fileServerProblems, preflightProblems } from "./preflight";
import type { LoginTool } from "./runScript";
import { DEFAULT_LOGIN_TOOL } from "./binaryCommand";

/** Environment variable that skips the preflight when set to 1 (or true). */
export const PREFLIGHT_SKIP_ENV = "PALETTE_AIRGAP_SKIP_PREFLIGHT";

/** The end of the "preflight skipped" warning: how to get the checks back. */
const TURN_BACK_ON = `; unset ${PREFLIGHT_SKIP_ENV} (or set it to 0) to run them again`;

export interface RunPreflightOptions {
    /** Login tool of the runs, which must be on PATH (config loginTool). Default "oras". */
    loginTool?: LoginTool;
    /** Free space needed in workDir, in GB (config minFreeGb). Default 30 (the procedure's prerequisite). */
    minFreeGb?: number;
    /** Tools the setup binary itself calls. Default ["oras"] (the procedure: "Oras - Required for the setup script"). */
    binaryTools?: string[];
    /** PATH searched for the tools. Default process.env.PATH. */
    pathEnv?: string;
    /** Timeout of the registry probe, in ms. Default 10000. */
    timeoutMs?: number;
    /** Environment read for PALETTE_AIRGAP_SKIP_PREFLIGHT. Default process.env. */
    env?: NodeJS.ProcessEnv;
    /** Where the "preflight skipped" warning goes. Default: the Pulumi engine's log when there is an engine, nowhere otherwise. */
    warn?: (message: string) => Promise<void>;
}

/** What runPreflight did: `skipped` when PALETTE_AIRGAP_SKIP_PREFLIGHT was set. */
export type PreflightOutcome = "passed" | "skipped";

/**
 * Resolves when every prerequisite holds (or the preflight is skipped); otherwise rejects with
 * one pulumi.RunError listing every problem.
 */
export async function runPreflight(
    settings: {
        registry: RegistrySettings;
        setup: SetupSettings;
        vsphere?: Pick<VsphereSettings, "caFile">;
        ova?: Pick<OvaSettings, "source" | "caFile">;
        fileServer?: Pick<FileServerSettings, "tls"> & Partial<Pick<FileServerSettings, "mode" | "docker">>;
    },
    options: RunPreflightOptions = {},
): Promise<PreflightOutcome> {
    const env = options.env ?? process.env;
    if (/^(1|true|yes)$/i.test(env[PREFLIGHT_SKIP_ENV] ?? "")) {
        await (options.warn ?? warnThroughEngine)(`preflight skipped (${PREFLIGHT_SKIP_ENV}=${env[PREFLIGHT_SKIP_ENV]}): tools, disk space, binaries and registry were not checked${TURN_BACK_ON}`);
        return "skipped";
    }
    const { registry, setup } = settings;
    const minFreeGb = options.minFreeGb;
    if (minFreeGb !== undefined && (!Number.isFinite(minFreeGb) || minFreeGb < 0)) {
        throw new pulumi.RunError(`minFreeGb: ${JSON.stringify(minFreeGb)} is not a number of GB of at least 0`);
    }
    const [problems, pin] = await Promise.all([
        preflightProblems({
            registryKind: registry.kind,
            loginTool: options.loginTool ?? DEFAULT_LOGIN_TOOL,
            ecrPublicImages: registry.kind === "ecr" ? registry.publicImages : undefined,
            binaryTools: options.binaryTools,
            fileServerOverSsh: fileServerOverSsh(settings.fileServer),
            workDir: setup.workDir,
            minFreeBytes: minFreeGb === undefined ? DEFAULT_MIN_FREE_BYTES : minFreeGb * 1000 * 1000 * 1000,
            setupBinary: setup.binary,
            packBinaries: setup.packBinaries.map((pack) => pack.path),
            registryEndpoint: registry.kind === "ecr" ? undefined : registry.endpoint,
            registryCaFile: registry.kind === "ecr" ? undefined : registry.caFile,
            registryInsecure: registry.kind === "ecr" ? undefined : registry.insecure,
            pemFiles: pemFilesOf(settings),
            localOva: settings.ova && !/^[a-z][a-z0-9+.-]*:\/\//i.test(settings.ova.source) ? settings.ova.source : undefined,
            imageRegistry: registry.kind === "ecr" || !registry.images ? undefined : { endpoint: registry.images.endpoint, caFile: registry.images.caFile, insecure: registry.images.insecure },
            pathEnv: options.pathEnv,
            timeoutMs: options.timeoutMs,
        }),
        checkPin(setup),
    ]);
    const all = [...problems, ...pin];
    if (all.length > 0) {
        throw new pulumi.RunError(
            `preflight: ${all.length} problem${all.length === 1 ? "" : "s"} before the setup run ` +
                `(nothing was created):\n${all.map((p) => `  - ${p}`).join("\n")}`,
        );
    }
    return "passed";
}

/**
 * The file server's own prerequisites, for ManifestFileServer constructed alone (the whole
 * environment's preflight covers them otherwise): ssh on PATH when the zip goes over SSH, and the
 * TLS files. Skipped and reported as runPreflight is.
 */
export async function runFileServerPreflight(
    fileServer: NonNullable<Parameters<typeof runPreflight>[0]["fileServer"]>,
    options: Pick<RunPreflightOptions, "pathEnv" | "env" | "warn"> = {},
): Promise<PreflightOutcome> {
    const env = options.env ?? process.env;
    if (/^(1|true|yes)$/i.test(env[PREFLIGHT_SKIP_ENV] ?? "")) {
        await (options.warn ?? warnThroughEngine)(`preflight skipped (${PREFLIGHT_SKIP_ENV}=${env[PREFLIGHT_SKIP_ENV]}): the file server's tools and TLS files were not checked${TURN_BACK_ON}`);
        return "skipped";
    }
    const problems = await fileServerProblems({ fileServerOverSsh: fileServerOverSsh(fileServer), pemFiles: pemFilesOf({ fileServer }), pathEnv: options.pathEnv });
    if (problems.length > 0) {
        throw new pulumi.RunError(
            `preflight: ${problems.length} problem${problems.length === 1 ? "" : "s"} before the file server (nothing was created):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
    }
    return "passed";
}

/** vm mode, or a Docker host reached over SSH: the zip is copied with the ssh client (a unix:// Docker host is this machine). */
function fileServerOverSsh(fileServer: Parameters<typeof runPreflight>[0]["fileServer"]): boolean {
    return fileServer?.mode === "vm" || (fileServer?.mode === "docker" && !fileServer.docker?.host.startsWith("unix://"));
}

/** The PEM files the import and the file server read later: checked now, before anything is created. */
function pemFilesOf(settings: Pick<Parameters<typeof runPreflight>[0], "vsphere" | "ova" | "fileServer">): PemFileSpec[] {
    const files: (PemFileSpec | false | undefined)[] = [
        settings.vsphere?.caFile !== undefined && { key: "vsphereCaFile", file: settings.vsphere.caFile, label: "CERTIFICATE", what: "the CA certificate that signed vCenter's certificate" },
        settings.ova?.caFile !== undefined && { key: "ovaCaFile", file: settings.ova.caFile, label: "CERTIFICATE", what: "the CA certificate of the OVA mirror" },
        settings.fileServer?.tls && { key: "fileServerTlsCertFile", file: settings.fileServer.tls.certFile, label: "CERTIFICATE", what: "the file server's certificate" },
        settings.fileServer?.tls && { key: "fileServerTlsKeyFile", file: settings.fileServer.tls.keyFile, label: "PRIVATE KEY", what: "the private key of fileServerTlsCertFile" },
    ];
    return files.filter((file): file is PemFileSpec => Boolean(file));
}

/**
 * A warning for the user running Pulumi. Without an engine (the mock engine of the tests) the SDK
 * would print it on the console once per program run: dozens of identical lines in a test run.
 * "Is there an engine" is getEngine(), not hasEngine(): hasEngine() looks only at the
 * process-wide client, which a Construct never sets (the SDK keeps each Construct's engine
 * client in its own runtime store), so under Construct the warning was silently dropped.
 */
async function warnThroughEngine(message: string): Promise<void> {
    if (pulumi.runtime.getEngine() !== undefined) {
        await pulumi.log.warn(message);
    }
}

/** setupBinarySha256: the binary's content matches the pin (skipped when the file is missing: reported already). */
async function checkPin(setup: SetupSettings): Promise<string[]> {
    if (setup.sha256 === undefined) {
        return [];
    }
    let actual: string;
    try {
        actual = await fileSha256(setup.binary);
    } catch {
        return [];
    }
    return actual === setup.sha256.toLowerCase()
        ? []
        : [`setupBinarySha256: ${setup.binary} has sha256 ${actual}, expected ${setup.sha256.toLowerCase()}: download the binary again, or fix the pin`];
}
