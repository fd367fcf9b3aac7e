/**
 * The provider plugin as the Pulumi engine runs it: `bin/pulumi-resource-palette-airgap` started
 * as a process with the engine's address as its argument, its gRPC port read from the first line
 * of its stdout, and every call made with the SDK's generated stubs (`@pulumi/pulumi/proto/
 * provider_grpc_pb.js`) and protobuf Structs. A stand-in engine (the `pulumirpc.Engine` service,
 * also from the SDK's stubs) receives what the plugin logs, as `pulumi up` would show it.
 *
 * The plugin runs the compiled JavaScript in dist/: `ensurePluginBuilt()` runs `npm run build`
 * when dist/ is missing or stale (scripts/distFreshness.js, which the executable also applies).
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { secretPaths, unwrapSecrets } from "./secretWire";

/* eslint-disable @typescript-eslint/no-var-requires */
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const providerProto = require("@pulumi/pulumi/proto/provider_pb");
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
/* eslint-enable @typescript-eslint/no-var-requires */

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const PLUGIN_EXECUTABLE = path.join(PROJECT_ROOT, "bin", "pulumi-resource-palette-airgap");
// Plain JavaScript shared with the plugin executable and `npm run build`.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const distFreshness = require("../../scripts/distFreshness.js") as { staleReason(root: string): string | undefined };

type Props = Record<string, any>;

/** Builds dist/ (npm run build) unless it is fresh by the rule the plugin executable itself applies (scripts/distFreshness.js). */
export function ensurePluginBuilt(): void {
    if (distFreshness.staleReason(PROJECT_ROOT) === undefined) return;
    const build = spawnSync("npm", ["run", "build"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (build.status !== 0) {
        throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
    }
}

/** One message the plugin sent to the engine's Log service. */
export interface EngineLog {
    severity: number;
    message: string;
    urn: string;
}

/** The engine's `pulumirpc.Engine` service, recording the plugin's log messages. */
export class StandInEngine {
    readonly logs: EngineLog[] = [];
    private constructor(private readonly server: grpc.Server, readonly address: string) {}

    static async start(): Promise<StandInEngine> {
        const server = new grpc.Server();
        let engine: StandInEngine | undefined;
        server.addService(engineRpc.EngineService, {
            log: (call: any, callback: grpc.sendUnaryData<Empty>) => {
                engine?.logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage(), urn: call.request.getUrn() });
                callback(null, new Empty());
            },
        });
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
        );
        engine = new StandInEngine(server, `127.0.0.1:${port}`);
        return engine;
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    }
}

export type DiffChanges = "none" | "some" | "unknown";

/** The protocol's PropertyDiff.Kind, by name. */
export type PropertyDiffKindName = "ADD" | "ADD_REPLACE" | "DELETE" | "DELETE_REPLACE" | "UPDATE" | "UPDATE_REPLACE";
const PROPERTY_DIFF_KINDS: PropertyDiffKindName[] = ["ADD", "ADD_REPLACE", "DELETE", "DELETE_REPLACE", "UPDATE", "UPDATE_REPLACE"];

/** A DiffResponse as the engine reads it. */
export interface DiffCallResult {
    changes: DiffChanges;
    replaces: string[];
    deleteBeforeReplace: boolean;
    /** The changed properties (`diffs`). */
    diffs: string[];
    /** Each changed property's kind (`detailedDiff`). */
    detailedDiff: Record<string, PropertyDiffKindName>;
    hasDetailedDiff: boolean;
}

/** A call's result with the values as they came over the wire, and what the plugin logged meanwhile. */
export interface PluginCall<T> {
    /** The result with secrets unwrapped. */
    result: T;
    /** The properties exactly as the plugin sent them (secrets as signature objects). */
    wire: Props;
    /** Everything the plugin logged during the call (engine log messages, stderr). */
    output: string;
}

export interface StartOptions {
    /** Working directory of the plugin process. Default: a new empty temporary directory. */
    cwd?: string;
    /** Environment of the plugin process. Default: PATH and HOME only. */
    env?: NodeJS.ProcessEnv;
    /** The executable to start. Default: the checkout's bin/pulumi-resource-palette-airgap (built first). */
    executable?: string;
}

/** The plugin process, its stand-in engine, and a client of its ResourceProvider service. */
export class PluginProcess {
    /** Milliseconds from spawn to the port printed. */
    startupMs = 0;
    private stderr = "";
    private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    private ownCwd: string | undefined;

    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
        readonly engine: StandInEngine,
        readonly port: number,
    ) {}

    /** Starts the plugin exactly as the engine does and waits for its port. */
    static async start(options: StartOptions = {}): Promise<PluginProcess> {
        if (!options.executable) ensurePluginBuilt();
        const engine = await StandInEngine.start();
        const ownCwd = options.cwd ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "plugin-cwd-"));
        const started = Date.now();
        const child = spawn(options.executable ?? PLUGIN_EXECUTABLE, [engine.address], {
            cwd: options.cwd ?? ownCwd,
            env: options.env ?? { PATH: process.env.PATH, HOME: process.env.HOME },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            const onData = (chunk: string) => {
                stdout += chunk;
                const newline = stdout.indexOf("\n");
                if (newline >= 0) {
                    child.stdout!.off("data", onData);
                    const line = stdout.slice(0, newline).trim();
                    /^\d+$/.test(line) ? resolve(Number(line)) : reject(new Error(`the plugin printed "${line}" instead of its port; stderr:\n${stderr}`));
                }
            };
            child.stdout!.setEncoding("utf8").on("data", onData);
            child.once("error", reject);
            child.once("exit", (code) => reject(new Error(`the plugin exited (${code}) before printing its port; stderr:\n${stderr}`)));
        });
        const startupMs = Date.now() - started;
        const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const plugin = new PluginProcess(child, client, engine, port);
        plugin.startupMs = startupMs;
        plugin.ownCwd = ownCwd;
        child.stderr!.on("data", (chunk: string) => (plugin.stderr += chunk));
        plugin.stderr = stderr;
        child.once("exit", (code, signal) => (plugin.exited = { code, signal }));
        return plugin;
    }

    /** Still running (a crash in a call must not end it). */
    get alive(): boolean {
        return this.exited === undefined && this.child.exitCode === null;
    }

    get pid(): number {
        return this.child.pid!;
    }

    async stop(): Promise<void> {
        this.client.close();
        if (this.alive) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill("SIGTERM");
            await exited;
        }
        await this.engine.stop();
        if (this.ownCwd) fs.rmSync(this.ownCwd, { recursive: true, force: true });
    }

    /** Everything the plugin logged so far (engine log messages and stderr). */
    transcript(): string {
        return [...this.engine.logs.map((log) => log.message), this.stderr].join("\n");
    }

    private async unary<T>(method: string, request: unknown): Promise<T> {
        return new Promise<T>((resolve, reject) => {
            // As the engine shows it: the error's details, without grpc-js's "<code> <status>: " prefix.
            this.client[method](request, (error: grpc.ServiceError | null, response: T) =>
                error ? reject(Object.assign(error, { message: error.details || error.message })) : resolve(response),
            );
        });
    }

    /** Runs `body`, returning its result with what the plugin logged meanwhile. */
    private async logged<T>(body: () => Promise<{ result: T; wire: Props }>): Promise<PluginCall<T>> {
        const logsBefore = this.engine.logs.length;
        const stderrBefore = this.stderr.length;
        const collect = () =>
            [...this.engine.logs.slice(logsBefore).map((log) => log.message), this.stderr.slice(stderrBefore)].filter((text) => text !== "").join("\n");
        try {
            const { result, wire } = await body();
            await settle();
            return { result, wire, output: collect() };
        } catch (error) {
            await settle();
            (error as Error & { output?: string }).output = collect();
            throw error;
        }
    }

    async getPluginInfo(): Promise<string> {
        const info = await this.unary<any>("getPluginInfo", new Empty());
        return info.getVersion();
    }

    async getSchema(): Promise<Props> {
        const request = new providerProto.GetSchemaRequest();
        request.setVersion(0);
        const response = await this.unary<any>("getSchema", request);
        return JSON.parse(response.getSchema());
    }

    async checkConfig(news: Props): Promise<unknown> {
        const request = new providerProto.CheckRequest();
        request.setUrn("urn:pulumi:test::palette-airgap::pulumi:providers:palette-airgap::default");
        request.setOlds(Struct.fromJavaScript({}));
        request.setNews(Struct.fromJavaScript(news));
        return this.unary("checkConfig", request);
    }

    async configure(variables: Record<string, string> = {}): Promise<{ acceptSecrets: boolean; acceptResources: boolean; acceptOutputs: boolean }> {
        const request = new providerProto.ConfigureRequest();
        for (const [key, value] of Object.entries(variables)) request.getVariablesMap().set(key, value);
        request.setArgs(Struct.fromJavaScript({}));
        request.setAcceptsecrets(true);
        request.setAcceptresources(true);
        const response = await this.unary<any>("configure", request);
        return { acceptSecrets: response.getAcceptsecrets(), acceptResources: response.getAcceptresources(), acceptOutputs: response.getAcceptoutputs() };
    }

    check(type: string, name: string, olds: Props, news: Props): Promise<PluginCall<{ inputs: Props; failures: { property: string; reason: string }[] }>> {
        return this.logged(async () => {
            const request = new providerProto.CheckRequest();
            identify(request, type, name);
            request.setOlds(Struct.fromJavaScript(olds));
            request.setNews(Struct.fromJavaScript(news));
            request.setRandomseed(Buffer.alloc(32));
            const response = await this.unary<any>("check", request);
            const wire = response.getInputs()?.toJavaScript() ?? {};
            const failures = response.getFailuresList().map((failure: any) => ({ property: failure.getProperty(), reason: failure.getReason() }));
            return { result: { inputs: unwrapSecrets(wire) as Props, failures }, wire };
        });
    }

    diff(type: string, name: string, id: string, olds: Props, news: Props): Promise<PluginCall<DiffCallResult>> {
        return this.logged(async () => {
            const request = new providerProto.DiffRequest();
            request.setId(id);
            identify(request, type, name);
            request.setOlds(Struct.fromJavaScript(olds));
            request.setNews(Struct.fromJavaScript(news));
            request.setOldInputs(Struct.fromJavaScript(news));
            const response = await this.unary<any>("diff", request);
            const changes = ({ 0: "unknown", 1: "none", 2: "some" } as Record<number, DiffChanges>)[response.getChanges()];
            const detailedDiff: Record<string, PropertyDiffKindName> = {};
            response.getDetaileddiffMap().forEach((property: any, key: string) => (detailedDiff[key] = PROPERTY_DIFF_KINDS[property.getKind()]));
            return {
                result: {
                    changes, replaces: response.getReplacesList(), deleteBeforeReplace: response.getDeletebeforereplace(),
                    diffs: response.getDiffsList(), detailedDiff, hasDetailedDiff: response.getHasdetaileddiff(),
                },
                wire: {},
            };
        });
    }

    create(type: string, name: string, properties: Props): Promise<PluginCall<{ id: string; outs: Props }>> {
        return this.logged(async () => {
            const request = new providerProto.CreateRequest();
            identify(request, type, name);
            request.setProperties(Struct.fromJavaScript(properties));
            request.setTimeout(3600);
            const response = await this.unary<any>("create", request);
            const wire = response.getProperties()?.toJavaScript() ?? {};
            return { result: { id: response.getId(), outs: unwrapSecrets(wire) as Props }, wire };
        });
    }

    read(type: string, name: string, id: string, properties: Props, inputs: Props = {}): Promise<PluginCall<{ id: string; props: Props }>> {
        return this.logged(async () => {
            const request = new providerProto.ReadRequest();
            request.setId(id);
            identify(request, type, name);
            request.setProperties(Struct.fromJavaScript(properties));
            request.setInputs(Struct.fromJavaScript(inputs));
            const response = await this.unary<any>("read", request);
            const wire = response.getProperties()?.toJavaScript() ?? {};
            return { result: { id: response.getId(), props: unwrapSecrets(wire) as Props }, wire };
        });
    }

    update(type: string, name: string, id: string, olds: Props, news: Props): Promise<PluginCall<{ outs: Props }>> {
        return this.logged(async () => {
            const request = new providerProto.UpdateRequest();
            request.setId(id);
            identify(request, type, name);
            request.setOlds(Struct.fromJavaScript(olds));
            request.setNews(Struct.fromJavaScript(news));
            request.setOldInputs(Struct.fromJavaScript(news));
            request.setTimeout(3600);
            const response = await this.unary<any>("update", request);
            const wire = response.getProperties()?.toJavaScript() ?? {};
            return { result: { outs: unwrapSecrets(wire) as Props }, wire };
        });
    }

    /**
     * Construct as the engine sends it for a program in another language: the component `type`
     * named `name` with `inputs` (secrets as the wire's secret objects), its children registered
     * with the resource monitor at `monitor`. Not a preview: the monitor's outputs are known.
     */
    construct(type: string, name: string, inputs: Props, monitor: string): Promise<PluginCall<{ urn: string; state: Props }>> {
        return this.logged(async () => {
            const request = new providerProto.ConstructRequest();
            request.setProject("palette-airgap");
            request.setStack("test");
            request.setDryrun(false);
            request.setParallel(4);
            request.setMonitorendpoint(monitor);
            request.setType(type);
            request.setName(name);
            request.setInputs(Struct.fromJavaScript(inputs));
            const response = await this.unary<any>("construct", request);
            const wire = response.getState()?.toJavaScript() ?? {};
            return { result: { urn: response.getUrn(), state: unwrapSecrets(wire) as Props }, wire };
        });
    }

    delete(type: string, name: string, id: string, properties: Props): Promise<PluginCall<void>> {
        return this.logged(async () => {
            const request = new providerProto.DeleteRequest();
            request.setId(id);
            identify(request, type, name);
            request.setProperties(Struct.fromJavaScript(properties));
            request.setOldInputs(Struct.fromJavaScript(properties));
            request.setTimeout(3600);
            await this.unary("delete", request);
            return { result: undefined, wire: {} };
        });
    }
}

/** Sets the resource's URN, type and name on a request, as the engine does. */
function identify(request: { setUrn(urn: string): unknown; setType(type: string): unknown; setName(name: string): unknown }, type: string, name: string): void {
    request.setUrn(urnOf(type, name));
    request.setType(type);
    request.setName(name);
}

/** The URN the engine gives a resource of `type` named `name` in the test stack. */
export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::palette-airgap::${type}::${name}`;
}

/** Log messages travel on their own gRPC calls: give the last ones a moment to arrive. */
function settle(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 50));
}

/** Dotted secret paths of properties as the plugin sent them (re-exported for the tests). */
export { secretPaths, unwrapSecrets };

export type ProviderMethod = "check" | "diff" | "create" | "read" | "update" | "delete";

/**
 * One call in the shape of the resource's own methods (check(olds, news), diff(id, olds, news),
 * create(inputs), read(id, props), update(id, olds, news), delete(id, props)), made over gRPC.
 * Properties in the result stay as they came over the wire (secrets as signature objects), so
 * the next call sends them back exactly as the engine would from its state; `changes` is true,
 * false or undefined (unknown); a read of a resource that is gone has no id.
 */
export async function callPlugin<T = any>(plugin: PluginProcess, type: string, name: string, method: ProviderMethod, args: any[]): Promise<{ result: T; output: string }> {
    switch (method) {
        case "check": {
            const call = await plugin.check(type, name, args[0] ?? {}, args[1]);
            return { result: { inputs: call.wire, failures: call.result.failures } as T, output: call.output };
        }
        case "diff": {
            const call = await plugin.diff(type, name, args[0], args[1], args[2]);
            const changes = { some: true, none: false, unknown: undefined }[call.result.changes];
            return { result: { ...call.result, changes } as T, output: call.output };
        }
        case "create": {
            const call = await plugin.create(type, name, args[0]);
            return { result: { id: call.result.id, outs: call.wire } as T, output: call.output };
        }
        case "read": {
            const call = await plugin.read(type, name, args[0], args[1]);
            return { result: (call.result.id ? { id: call.result.id, props: call.wire } : {}) as T, output: call.output };
        }
        case "update": {
            const call = await plugin.update(type, name, args[0], args[1], args[2]);
            return { result: { outs: call.wire } as T, output: call.output };
        }
        case "delete": {
            const call = await plugin.delete(type, name, args[0], args[1]);
            return { result: undefined as T, output: call.output };
        }
    }
}
