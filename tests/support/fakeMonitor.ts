/**
 * The engine's resource monitor (`pulumirpc.ResourceMonitor`, the SDK's own stubs) as a gRPC
 * server on 127.0.0.1, for Construct driven over gRPC: the plugin registers the component's
 * children here exactly as it would with `pulumi up`. Every registration is recorded with the
 * moment it arrived, so a test can tell what a Construct registered after it had answered.
 * Custom resources get an id and their inputs back as outputs, plus what `outputs` adds for
 * their type; invokes answer with the vSphere lookup fixtures.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { VSPHERE_LOOKUP_FIXTURES } from "./vsphereLookupFixtures";

/* eslint-disable @typescript-eslint/no-var-requires */
const resourceRpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resourceProto = require("@pulumi/pulumi/proto/resource_pb");
const providerProto = require("@pulumi/pulumi/proto/provider_pb");
/* eslint-enable @typescript-eslint/no-var-requires */

export interface MonitorRegistration {
    type: string;
    name: string;
    urn: string;
    parent: string;
    custom: boolean;
    /** Date.now() when the registration arrived. */
    at: number;
}

export interface FakeMonitorOptions {
    /** Outputs a custom resource of `type` gets besides its inputs (the inputs as plain JavaScript, secrets as the wire's objects). */
    outputs?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
    /** Milliseconds the monitor waits before it answers a registration or an invoke (default 0): how a test orders events. */
    delayMs?: (call: "register" | "invoke", typeOrToken: string, name: string) => number;
    /** The project and stack the URNs are made of. */
    project?: string;
    stack?: string;
}

export class FakeMonitor {
    readonly registrations: MonitorRegistration[] = [];

    private constructor(private readonly server: grpc.Server, readonly address: string) {}

    static async start(options: FakeMonitorOptions = {}): Promise<FakeMonitor> {
        const project = options.project ?? "palette-airgap";
        const stack = options.stack ?? "test";
        const server = new grpc.Server();
        let monitor: FakeMonitor | undefined;
        server.addService(resourceRpc.ResourceMonitorService, {
            // Only secrets: values stay plain JavaScript (no output values, no resource references).
            supportsFeature: (call: any, callback: grpc.sendUnaryData<unknown>) => {
                const response = new resourceProto.SupportsFeatureResponse();
                response.setHassupport(call.request.getId() === "secrets");
                callback(null, response);
            },
            registerResource: (call: any, callback: grpc.sendUnaryData<unknown>) => {
                const request = call.request;
                const type: string = request.getType();
                const name: string = request.getName();
                const parent: string = request.getParent();
                const parentType = parent ? parent.split("::")[2] : "";
                const urn = `urn:pulumi:${stack}::${project}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
                monitor?.registrations.push({ type, name, urn, parent, custom: request.getCustom(), at: Date.now() });
                const delay = options.delayMs?.("register", type, name) ?? 0;
                const response = new resourceProto.RegisterResourceResponse();
                response.setUrn(urn);
                if (request.getCustom()) {
                    const inputs = (request.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
                    response.setId(`${name}-id`);
                    response.setObject(Struct.fromJavaScript({ ...inputs, ...(options.outputs?.(type, name, inputs) ?? {}) } as any));
                } else {
                    response.setObject(Struct.fromJavaScript({}));
                }
                setTimeout(() => callback(null, response), delay);
            },
            registerResourceOutputs: (_call: any, callback: grpc.sendUnaryData<Empty>) => callback(null, new Empty()),
            invoke: (call: any, callback: grpc.sendUnaryData<unknown>) => {
                const token: string = call.request.getTok();
                const args = (call.request.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>;
                const fixture = VSPHERE_LOOKUP_FIXTURES[token];
                const response = new providerProto.InvokeResponse();
                response.setReturn(Struct.fromJavaScript((fixture ? fixture(args) : args) as any));
                setTimeout(() => callback(null, response), options.delayMs?.("invoke", token, "") ?? 0);
            },
        });
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
        );
        monitor = new FakeMonitor(server, `127.0.0.1:${port}`);
        return monitor;
    }

    /** The registrations that arrived after `time` (Date.now()). */
    registeredAfter(time: number): MonitorRegistration[] {
        return this.registrations.filter((registration) => registration.at > time);
    }

    async stop(): Promise<void> {
        await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    }
}
