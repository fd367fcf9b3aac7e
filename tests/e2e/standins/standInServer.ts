/**
 * A resource-provider plugin served over Pulumi's gRPC protocol with the SDK's own generated
 * stubs, for the providers the end-to-end tests need but cannot build here: the Go module proxy
 * these machines reach does not serve pulumi-vsphere's or pulumi-command's provider modules (see
 * README "End-to-end tests"). The real CLI starts a stand-in exactly as it starts the real plugin
 * (an executable in $PULUMI_HOME/plugins/resource-<name>-v<version>/ that prints its port), so
 * everything on our side of the protocol is what users run.
 *
 * Not `provider.main` of the SDK: that server drops the variables of Configure, and a provider
 * such as vSphere's needs them (server, user, password of an explicit provider resource).
 */
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";

/* eslint-disable @typescript-eslint/no-var-requires */
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const providerProto = require("@pulumi/pulumi/proto/provider_pb");
const pluginProto = require("@pulumi/pulumi/proto/plugin_pb");
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineProto = require("@pulumi/pulumi/proto/engine_pb");
/* eslint-enable @typescript-eslint/no-var-requires */

export type Props = Record<string, any>;

/** The engine's signature key of a wrapped secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface DiffOutcome {
    /** Changed input names that force a replacement. */
    replaces: string[];
    /** Changed input names updated in place. */
    updates: string[];
}

export interface CallContext {
    urn: string;
    /** Sends a line to the engine's log (shown by `pulumi up` beside the resource). */
    log(severity: "info" | "warning" | "error", message: string, ephemeral?: boolean): void;
    /** Aborted when the engine sends Cancel (Ctrl-C of `pulumi up`). */
    signal: AbortSignal;
}

export interface StandInResource {
    diff(id: string, olds: Props, news: Props): DiffOutcome;
    create(inputs: Props, ctx: CallContext): Promise<{ id: string; outputs: Props }>;
    /** Undefined: the object is gone (the engine then drops it from the state on refresh). */
    read(id: string, state: Props, ctx: CallContext): Promise<Props | undefined>;
    update(id: string, olds: Props, news: Props, ctx: CallContext): Promise<Props>;
    delete(id: string, state: Props, ctx: CallContext): Promise<void>;
}

export interface StandInProvider {
    name: string;
    version: string;
    /** The provider's configuration (an explicit provider resource's inputs, or stack config). */
    configure(values: Props): void;
    resources: Record<string, StandInResource>;
    functions: Record<string, (args: Props) => Promise<Props>>;
}

function structOf(value: Props): any {
    return Struct.fromJavaScript(value as any);
}

/** The inputs the resource was last created or updated with (older engines send only the state). */
function oldInputs(request: any): Props {
    const inputs = request.getOldInputs?.();
    return inputs ? plain(inputs) : plain(request.getOlds());
}

function plain(struct: any): Props {
    return struct ? (struct.toJavaScript() as Props) : {};
}

/**
 * Property paths of the inputs whose values differ (JSON comparison, as the engine compares plain
 * values), a list by its elements (`triggers[2]`), as the real providers report them: the engine
 * matches `replaceOnChanges` (the Command SDK sets `triggers[*]`) against these paths.
 */
export function changedKeys(olds: Props, news: Props, keys: readonly string[]): string[] {
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    return keys.flatMap((key) => {
        if (same(olds[key], news[key])) return [];
        const [before, after] = [olds[key], news[key]];
        if (!Array.isArray(before) || !Array.isArray(after)) return [key];
        const length = Math.max(before.length, after.length);
        return Array.from({ length }, (_unused, index) => index).filter((index) => !same(before[index], after[index])).map((index) => `${key}[${index}]`);
    });
}

/** Starts the plugin: prints the port on stdout as the engine expects, serves until killed. */
export function serveStandIn(provider: StandInProvider): void {
    const args = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
    const engineAddress = args[0];
    const engine = engineAddress ? new engineRpc.EngineClient(engineAddress, grpc.credentials.createInsecure()) : undefined;
    const cancel = new AbortController();

    const context = (urn: string): CallContext => ({
        urn,
        signal: cancel.signal,
        log(severity, message, ephemeral = false) {
            if (!engine) return;
            const request = new engineProto.LogRequest();
            const levels = { info: engineProto.LogSeverity.INFO, warning: engineProto.LogSeverity.WARNING, error: engineProto.LogSeverity.ERROR };
            request.setSeverity(levels[severity]);
            request.setMessage(message);
            request.setUrn(urn);
            request.setEphemeral(ephemeral);
            engine.log(request, () => undefined);
        },
    });

    const resourceOf = (urn: string): StandInResource => {
        const type = (urn.split("::")[2] ?? "").split("$").pop() ?? "";
        const resource = provider.resources[type];
        if (!resource) throw new Error(`${provider.name} stand-in: unknown resource type ${type}`);
        return resource;
    };

    // Every handler answers an exception as that call's error, as a real plugin does.
    const unary = (handler: (request: any) => Promise<any>) => (call: any, callback: any) => {
        handler(call.request).then(
            (response) => callback(null, response),
            (error: Error) => callback({ code: grpc.status.UNKNOWN, details: error.message }),
        );
    };

    const diffResponse = (outcome: DiffOutcome): any => {
        const response = new providerProto.DiffResponse();
        const changed = [...outcome.replaces, ...outcome.updates];
        response.setChanges(changed.length > 0 ? providerProto.DiffResponse.DiffChanges.DIFF_SOME : providerProto.DiffResponse.DiffChanges.DIFF_NONE);
        response.setReplacesList(outcome.replaces);
        response.setDiffsList(changed);
        response.setHasdetaileddiff(true);
        const detailed = response.getDetaileddiffMap();
        for (const key of changed) {
            const diff = new providerProto.PropertyDiff();
            diff.setKind(outcome.replaces.includes(key) ? providerProto.PropertyDiff.Kind.UPDATE_REPLACE : providerProto.PropertyDiff.Kind.UPDATE);
            diff.setInputdiff(true);
            detailed.set(key, diff);
        }
        return response;
    };

    const handlers = {
        handshake: unary(async () => new providerProto.ProviderHandshakeResponse()),
        getPluginInfo: unary(async () => {
            const info = new pluginProto.PluginInfo();
            info.setVersion(provider.version);
            return info;
        }),
        getSchema: unary(async () => {
            const response = new providerProto.GetSchemaResponse();
            response.setSchema(JSON.stringify({ name: provider.name, version: provider.version }));
            return response;
        }),
        checkConfig: unary(async (request) => {
            const response = new providerProto.CheckResponse();
            response.setInputs(request.getNews());
            return response;
        }),
        diffConfig: unary(async (request) => {
            const olds = oldInputs(request);
            const news = plain(request.getNews());
            const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].filter((key) => key !== "version");
            return diffResponse({ replaces: [], updates: changedKeys(olds, news, keys) });
        }),
        configure: unary(async (request) => {
            const values: Props = {};
            request.getVariablesMap().forEach((value: string, key: string) => {
                values[key.replace(/^[^:]+:(config:)?/, "")] = value;
            });
            // The engine may send secrets wrapped in args before it knows the plugin does not accept them.
            for (const [key, value] of Object.entries(plain(request.getArgs()))) {
                values[key] = value && typeof value === "object" && SECRET_SIG in value ? value.value : value;
            }
            provider.configure(values);
            const response = new providerProto.ConfigureResponse();
            response.setAcceptsecrets(false);
            response.setSupportspreview(true);
            response.setAcceptresources(false);
            response.setAcceptoutputs(false);
            return response;
        }),
        invoke: unary(async (request) => {
            const fn = provider.functions[request.getTok()];
            if (!fn) throw new Error(`${provider.name} stand-in: unknown function ${request.getTok()}`);
            const response = new providerProto.InvokeResponse();
            response.setReturn(structOf(await fn(plain(request.getArgs()))));
            return response;
        }),
        check: unary(async (request) => {
            const response = new providerProto.CheckResponse();
            response.setInputs(request.getNews());
            return response;
        }),
        diff: unary(async (request) => diffResponse(resourceOf(request.getUrn()).diff(request.getId(), oldInputs(request), plain(request.getNews())))),
        create: unary(async (request) => {
            const inputs = plain(request.getProperties());
            const response = new providerProto.CreateResponse();
            if (request.getPreview()) {
                response.setId("");
                response.setProperties(structOf(inputs));
                return response;
            }
            const { id, outputs } = await resourceOf(request.getUrn()).create(inputs, context(request.getUrn()));
            response.setId(id);
            response.setProperties(structOf(outputs));
            return response;
        }),
        read: unary(async (request) => {
            const state = plain(request.getProperties());
            const outputs = await resourceOf(request.getUrn()).read(request.getId(), state, context(request.getUrn()));
            const response = new providerProto.ReadResponse();
            if (!outputs) return response; // no id: gone
            response.setId(request.getId());
            response.setProperties(structOf(outputs));
            response.setInputs(request.getInputs() ?? structOf({}));
            return response;
        }),
        update: unary(async (request) => {
            const news = plain(request.getNews());
            const response = new providerProto.UpdateResponse();
            if (request.getPreview()) {
                response.setProperties(structOf(news));
                return response;
            }
            const olds = plain(request.getOlds());
            response.setProperties(structOf(await resourceOf(request.getUrn()).update(request.getId(), olds, news, context(request.getUrn()))));
            return response;
        }),
        delete: unary(async (request) => {
            await resourceOf(request.getUrn()).delete(request.getId(), plain(request.getProperties()), context(request.getUrn()));
            return new Empty();
        }),
        cancel: unary(async () => {
            cancel.abort();
            return new Empty();
        }),
        attach: unary(async () => new Empty()),
    };

    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(providerRpc.ResourceProviderService, handlers as any);
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error) {
            process.stderr.write(`${provider.name} stand-in: ${error.message}\n`);
            process.exit(1);
        }
        process.stdout.write(`${port}\n`);
    });
}
