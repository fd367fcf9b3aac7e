/**
 * Runs the real program (index.ts) for a stack file of stacks/ under the Pulumi SDK's mock
 * engine (`pulumi.runtime.setMocks`): the Pulumi CLI and provider plugins cannot run here.
 * Returns every registered resource with its inputs as the engine received them, including
 * which input paths were sent as secrets.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { secretPaths, unwrapSecrets } from "./secretWire";
import "./transpileCache";
import { VSPHERE_LOOKUP_FIXTURES } from "./vsphereLookupFixtures";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const PROGRAM = path.join(PROJECT_ROOT, "index.ts");

export interface RegisteredResource {
    type: string;
    name: string;
    /** URN of the parent, or undefined for the stack's direct children. */
    parent?: string;
    urn: string;
    /** Inputs with secrets unwrapped. */
    inputs: Record<string, unknown>;
    /** Inputs exactly as serialized to the engine (secrets appear as signature objects). */
    wireInputs: Record<string, unknown>;
    /** Dotted paths of inputs sent as secrets, e.g. `password`. */
    secretPaths: string[];
    custom: boolean;
    provider?: string;
    /** Provider plugin version requested for the resource. */
    version?: string;
    /** Outputs the engine must store as secrets (`additionalSecretOutputs`). */
    additionalSecretOutputs: string[];
    /** `protect`: destroy refuses to delete it. */
    protect: boolean;
    /** `retainOnDelete`: destroy removes it from the state but leaves it in place. */
    retainOnDelete: boolean;
}

export interface StackRun {
    resources: RegisteredResource[];
    /** Stack outputs (the program's exports), resolved. */
    outputs: Record<string, unknown>;
    /** Names of the outputs that are secret. */
    secretOutputs: string[];
    /** Invokes the program made, with their arguments. */
    invokes: { token: string; args: Record<string, unknown>; provider?: string }[];
}

export interface RunOptions {
    /** Secret config values by key (without namespace), set as `--secret` values are. */
    secrets?: Record<string, string>;
    /** Plain config values by key (without namespace) that replace or add to the stack file's. */
    overrides?: Record<string, unknown>;
    /** Keys (without namespace) removed from the stack file before the run. */
    remove?: string[];
    /** Run as `pulumi preview` (outputs of new resources unknown). */
    preview?: boolean;
    /** Run the program's preflight (tools, disk, binaries, registry) too. Default false. */
    preflight?: boolean;
    /** The stack file to run, when it is not stacks/Pulumi.<stack>.yaml (e.g. one the stack generator wrote). */
    stackFile?: string;
    /**
     * Instead of index.ts, construct `palette-airgap:index:AirgapEnvironment` through the provider
     * plugin's Construct (as for a program in another language), with the stack file's keys as
     * its inputs (secrets as secret inputs); the outputs are the component's. Default false.
     */
    construct?: boolean;
    /**
     * Instead of index.ts, construct one part alone through the plugin's Construct (`token`, named
     * `name`), with the stack file's keys that the part takes (PART_INPUT_KEYS) as its inputs,
     * plus `inputs` (e.g. ManifestFileServer's manifestsZip); the outputs are the part's.
     */
    part?: { token: string; name: string; inputs?: Record<string, unknown>; without?: readonly string[] };
    /** Replaces the mock provider's state for some resources (return undefined to keep the default). */
    mockState?: (type: string, state: Record<string, unknown>) => Record<string, unknown> | undefined;
    /** Replaces the result of some invokes (return undefined to keep the default). */
    mockInvoke?: (token: string, result: Record<string, unknown>) => Record<string, unknown> | undefined;
}

/** Secrets every test stack needs, with values that are easy to search for in state. */
export const TEST_SECRETS: Record<string, string> = {
    vspherePassword: "vsphere-Pa55-SECRET-1",
    registryPassword: "registry-Pa55-SECRET-2",
    imageRegistryPassword: "image-registry-Pa55-SECRET-5",
    fileServerSshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nSSH-KEY-SECRET-3\n-----END OPENSSH PRIVATE KEY-----",
    /** Not a config key: the body of the stand-in TLS key file, a secret wherever it appears. */
    tlsKeyMarker: "TLS-KEY-SECRET-4",
};

/** The stack names that have a file in stacks/. */
export function stackNames(): string[] {
    return fs
        .readdirSync(path.join(PROJECT_ROOT, "stacks"))
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

/** The `palette-airgap:` config of a stack file as key → value (namespace removed). */
export function readStackConfig(stack: string, file = path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`)): Record<string, unknown> {
    const document = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(document.config ?? {})) {
        config[key.replace(/^palette-airgap:/, "")] = value;
    }
    return config;
}

/** The secrets a stack file needs (the ones the README tells users to set). */
export function secretsFor(stack: string): Record<string, string> {
    const config = readStackConfig(stack);
    const secrets: Record<string, string> = { vspherePassword: TEST_SECRETS.vspherePassword };
    if (config.registryKind !== "ecr") {
        secrets.registryPassword = TEST_SECRETS.registryPassword;
    }
    if (config.imageRegistryUsername) {
        secrets.imageRegistryPassword = TEST_SECRETS.imageRegistryPassword;
    }
    if (config.fileServerSshPublicKey) {
        secrets.fileServerSshPrivateKey = TEST_SECRETS.fileServerSshPrivateKey;
    }
    return secrets;
}

/**
 * The defaults of Pulumi.yaml's config block, as the Pulumi CLI hands them to the program for keys
 * a stack does not set (strings as they are, other values JSON-encoded, as `pulumi up` does): a
 * program must not take a default for a key the user set.
 */
export function projectDefaults(): Record<string, string> {
    const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { config?: Record<string, { default?: unknown }> };
    const defaults: Record<string, string> = {};
    for (const [key, spec] of Object.entries(project.config ?? {})) {
        if (spec.default === undefined) continue;
        defaults[key] = typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
    }
    return defaults;
}

/** Runs index.ts for `stack` under mocks. A config error is thrown as the program throws it. */
export async function runStack(stack: string, options: RunOptions = {}): Promise<StackRun> {
    const plain = { ...readStackConfig(stack, options.stackFile), ...(options.overrides ?? {}) };
    for (const key of options.remove ?? []) {
        delete plain[key];
    }
    if (!options.preflight) {
        standInBinaries(plain);
    }
    // Preflight checks this machine's tools, disk and registry: not what a mock run is about, unless asked.
    process.env.PALETTE_AIRGAP_SKIP_PREFLIGHT = options.preflight ? "" : "1";
    const secrets = options.secrets ?? secretsFor(stack);
    const allConfig: Record<string, string> = {};
    // The CLI gives the program every key Pulumi.yaml declares with a default that the stack leaves unset.
    for (const [key, value] of Object.entries(projectDefaults())) {
        if (!(key in plain)) allConfig[`palette-airgap:${key}`] = value;
    }
    for (const [key, value] of Object.entries(plain)) {
        // The CLI hands structured values (lists, booleans, numbers) to programs JSON-encoded, and a
        // YAML null as an empty string (pulumi/pulumi#19483).
        allConfig[`palette-airgap:${key}`] = typeof value === "string" ? value : value === null ? "" : JSON.stringify(value);
    }
    for (const [key, value] of Object.entries(secrets)) {
        allConfig[`palette-airgap:${key}`] = value;
    }
    pulumi.runtime.setAllConfig(allConfig, Object.keys(secrets).map((key) => `palette-airgap:${key}`));

    const run: StackRun = { resources: [], outputs: {}, secretOutputs: [], invokes: [] };
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const state = mockState(args.type, args.inputs);
                return { id: options.preview ? undefined : `${args.name}-id`, state: options.mockState?.(args.type, state) ?? state };
            },
            call: (args) => {
                run.invokes.push({ token: args.token, args: args.inputs, provider: args.provider });
                const result = mockInvoke(args.token, args.inputs);
                return options.mockInvoke?.(args.token, result) ?? result;
            },
        },
        "palette-airgap",
        stack,
        options.preview ?? false,
    );
    activeRun = run;
    try {
        clearProgramModules();
        const loaded = options.part
            ? () => constructPart(options.part!, plain, secrets)
            : options.construct
            ? () => constructEnvironment(plain, secrets)
            : (require(PROGRAM) as Record<string, unknown> | (() => Promise<Record<string, unknown>>));
        // A program may export its outputs, or an async function returning them (as index.ts does).
        const program = typeof loaded === "function" ? await loaded() : loaded;
        for (const [name, value] of Object.entries(program)) {
            if (pulumi.Output.isInstance(value)) {
                run.outputs[name] = await outputValue(value);
                if (await pulumi.isSecret(value)) {
                    run.secretOutputs.push(name);
                }
            } else if (value !== undefined) {
                run.outputs[name] = value;
            }
        }
    } finally {
        // Let every registration the program started reach the mock engine, even after a throw,
        // so that lastRun() shows what a failed program would have created.
        await waitForRPCs();
        activeRun = undefined;
        lastRunResult = run;
    }
    return run;
}

/**
 * Runs `stack` expecting the program to fail with a ConfigError before registering anything;
 * returns the error. Fails the test when the run succeeds, fails otherwise, or registered a resource.
 */
export async function runStackExpectingConfigError(stack: string, options: RunOptions = {}): Promise<Error> {
    let run: StackRun | undefined;
    let caught: unknown;
    try {
        run = await runStack(stack, options);
    } catch (error) {
        caught = error;
    }
    assert.ok(caught, `expected a config error, got a run with ${run?.resources.length} resources`);
    assert.strictEqual((caught as Error).name, "ConfigError", `expected ConfigError, got ${(caught as Error).stack}`);
    assert.deepStrictEqual(lastRun().resources.map((resource) => resource.name), [], "resources were registered before the config error");
    return caught as Error;
}

/** AirgapEnvironment through the plugin's Construct: the stack file's keys as inputs, the secrets as secret inputs. */
async function constructEnvironment(plain: Record<string, unknown>, secrets: Record<string, string>): Promise<Record<string, unknown>> {
    const { PaletteAirgapProvider } = require(path.join(PROJECT_ROOT, "provider", "paletteAirgapProvider"));
    const inputs: Record<string, unknown> = { ...plain };
    for (const [key, value] of Object.entries(secrets)) {
        inputs[key] = pulumi.secret(value);
    }
    const result = await new PaletteAirgapProvider().construct("palette", "palette-airgap:index:AirgapEnvironment", inputs, {});
    return result.state as Record<string, unknown>;
}

/** One part through the plugin's Construct: the stack file's keys it takes as inputs, the secrets as secret inputs. */
async function constructPart(part: NonNullable<RunOptions["part"]>, plain: Record<string, unknown>, secrets: Record<string, string>): Promise<Record<string, unknown>> {
    const { PaletteAirgapProvider } = require(path.join(PROJECT_ROOT, "provider", "paletteAirgapProvider"));
    const { PART_INPUT_KEYS } = require(path.join(PROJECT_ROOT, "provider", "schema", "components"));
    const takes = new Set<string>((PART_INPUT_KEYS[part.token] as string[]).filter((key) => !part.without?.includes(key)));
    const inputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(plain)) {
        if (takes.has(key)) inputs[key] = value;
    }
    for (const [key, value] of Object.entries(secrets)) {
        if (takes.has(key)) inputs[key] = pulumi.secret(value);
    }
    const result = await new PaletteAirgapProvider().construct(part.name, part.token, { ...inputs, ...(part.inputs ?? {}) }, {});
    return result.state as Record<string, unknown>;
}

let lastRunResult: StackRun | undefined;

/** The last run, also when the program threw: what it registered before failing. */
export function lastRun(): StackRun {
    if (!lastRunResult) {
        throw new Error("runStack() has not run yet");
    }
    return lastRunResult;
}

/** Type + name + parent (by type and name) of every resource: the URN-relevant shape. */
export function resourceGraph(run: StackRun): string[] {
    const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
    return run.resources
        .map((resource) => {
            const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
            return `${resource.type} ${resource.name}${parent ? ` <- ${parent.type} ${parent.name}` : ""}`;
        })
        .sort();
}

export function findResource(run: StackRun, type: string): RegisteredResource[] {
    return run.resources.filter((resource) => resource.type === type);
}

// --- mock engine behaviour ------------------------------------------------------------------

/** What the provider would return: inputs, plus the computed outputs our code reads. */
export const MOCK_AWS_ACCOUNT = "123456789012";
export const MOCK_ECR_PUBLIC_ALIAS = "a1b2c3d4";
export const MOCK_VM_ADDRESS = "10.10.100.77";

function mockState(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (type) {
        case "aws:ecr/repository:Repository":
            return { ...inputs, registryId: MOCK_AWS_ACCOUNT, repositoryUrl: `${MOCK_AWS_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/${inputs.name}` };
        case "aws:ecrpublic/repository:Repository":
            return { ...inputs, registryId: MOCK_AWS_ACCOUNT, repositoryUri: `public.ecr.aws/${MOCK_ECR_PUBLIC_ALIAS}/${inputs.repositoryName}` };
        case "palette-airgap:validate:ValidationRun":
            return { ...inputs, report: ["ok   mock: the checks run against real services in tests/validate"], passed: true };
        case "vsphere:index/virtualMachine:VirtualMachine":
            return { ...inputs, defaultIpAddress: MOCK_VM_ADDRESS, guestIpAddresses: [MOCK_VM_ADDRESS], uuid: "42a1b2c3-0000-1111-2222-333344445555", moid: "vm-501" };
        case "command:local:Command":
        case "command:remote:Command":
            return { ...inputs, stdout: `palette-airgap [mock] done\nPALETTE_AIRGAP_RESULT ${JSON.stringify(MOCK_SETUP_RESULT)}\n`, stderr: "" };
        case "palette-airgap:vsphere:OvaTemplateImport":
            return {
                ...inputs,
                moid: "vm-42",
                inventoryPath: `/${inputs.datacenter}/vm/${inputs.folderPath}/${inputs.templateName}`,
                observedName: inputs.templateName,
                ovaSha256: inputs.expectedSha256 ?? "0".repeat(64),
            };
        default:
            return { ...inputs };
    }
}

function mockInvoke(token: string, args: Record<string, unknown>): Record<string, unknown> {
    if (token === "aws:index/getCallerIdentity:getCallerIdentity") {
        return { accountId: MOCK_AWS_ACCOUNT, arn: `arn:aws:iam::${MOCK_AWS_ACCOUNT}:user/palette-installer`, userId: "AIDAMOCK", id: MOCK_AWS_ACCOUNT };
    }
    const fixture = VSPHERE_LOOKUP_FIXTURES[token];
    return fixture ? fixture(args) : args;
}

/**
 * The setup and pack binaries a stack file names live on the machine that runs Pulumi, not
 * here; the program hashes them. Point the config at small stand-ins with the same file names
 * (so resource names, which come from the file names, are those of the stack file).
 */
const standInDir = fs.mkdtempSync(path.join(require("os").tmpdir(), "palette-airgap-binaries-"));
process.on("exit", () => fs.rmSync(standInDir, { recursive: true, force: true }));
// Digests of the stand-ins stay out of the user's cache.
process.env.PALETTE_AIRGAP_DIGEST_CACHE = path.join(standInDir, "digests.json");

/** What the mocked setup run reports: its manifests zip is a stand-in file too (the file server hashes it). */
export const MOCK_SETUP_RESULT = { manifestsZip: path.join(standInDir, "spectro-manifests-1732550000.zip"), version: "4.2.13", attempts: 1 };
fs.writeFileSync(MOCK_SETUP_RESULT.manifestsZip, "stand-in manifests zip");

function standInBinaries(config: Record<string, unknown>): void {
    const standIn = (configured: unknown): unknown => {
        if (typeof configured !== "string" || !path.isAbsolute(configured)) {
            return configured; // invalid values stay as they are: the config validation tests need them
        }
        const file = path.join(standInDir, path.basename(configured));
        if (!fs.existsSync(file)) {
            fs.writeFileSync(file, `#!/bin/sh\necho "stand-in for ${path.basename(configured)}"\n`, { mode: 0o755 });
        }
        return file;
    };
    if ("setupBinary" in config) {
        config.setupBinary = standIn(config.setupBinary);
        if (typeof config.setupBinarySha256 === "string" && /^[0-9a-f]{64}$/.test(config.setupBinarySha256)) {
            // A pinned stack keeps its pin checked: pin the stand-in instead of the real binary.
            config.setupBinarySha256 = require("crypto").createHash("sha256").update(fs.readFileSync(config.setupBinary as string)).digest("hex");
        }
    }
    if (Array.isArray(config.packBinaries)) {
        config.packBinaries = config.packBinaries.map(standIn);
    }
    // The file server's TLS certificate and key are read into its cloud-init: stand-in PEM files.
    for (const key of ["fileServerTlsCertFile", "fileServerTlsKeyFile"]) {
        if (typeof config[key] === "string" && path.isAbsolute(config[key] as string)) {
            const file = path.join(standInDir, path.basename(config[key] as string));
            const kind = key.endsWith("KeyFile") ? "PRIVATE KEY" : "CERTIFICATE";
            fs.writeFileSync(file, `-----BEGIN ${kind}-----\n${kind === "PRIVATE KEY" ? TEST_SECRETS.tlsKeyMarker : "stand-in"}\n-----END ${kind}-----\n`, { mode: 0o600 });
            config[key] = file;
        }
    }
}

// --- capturing what the engine receives -----------------------------------------------------

let activeRun: StackRun | undefined;

// The SDK's mock monitor unwraps secrets before calling newResource; wrap it once to keep the
// request exactly as serialized, which is what a real engine would store.
const mocksModule = require("@pulumi/pulumi/runtime/mocks");
const originalRegister = mocksModule.MockMonitor.prototype.registerResource;
mocksModule.MockMonitor.prototype.registerResource = function (req: any, callback: any) {
    const wire = req.getObject().toJavaScript() as Record<string, unknown>;
    const type = req.getType() as string;
    const name = req.getName() as string;
    const wrapped = (error: unknown, response: any) => {
        if (!error && activeRun) {
            activeRun.resources.push({
                type,
                name,
                urn: response.getUrn(),
                parent: req.getParent() || undefined,
                inputs: unwrapSecrets(wire) as Record<string, unknown>,
                wireInputs: wire,
                secretPaths: secretPaths(wire),
                custom: req.getCustom(),
                provider: req.getProvider() || undefined,
                version: req.getVersion() || undefined,
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                protect: req.getProtect() ?? false,
                retainOnDelete: req.getRetainondelete() ?? false,
            });
        }
        callback(error, response);
    };
    return originalRegister.call(this, req, wrapped);
};

function clearProgramModules(): void {
    for (const file of Object.keys(require.cache)) {
        if (file.startsWith(PROJECT_ROOT) && !file.includes(`${path.sep}node_modules${path.sep}`) && !file.includes(`${path.sep}tests${path.sep}`)) {
            delete require.cache[file];
        }
    }
}

/** An output's value; during a preview an unknown value resolves to the SDK's unknown marker. */
function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(withUnknowns: boolean): Promise<T> }).promise(true);
}

const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
function waitForRPCs(): Promise<void> {
    return settings.waitForRPCs();
}
