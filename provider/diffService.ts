/**
 * The plugin's Diff handler on the gRPC service. The SDK's own handler (provider/server.js of
 * @pulumi/pulumi 3.x) copies only `changes`, `replaces` and `deleteBeforeReplace` of a Provider's
 * DiffResult into the DiffResponse and drops everything else: our per-property `detailedDiff`
 * never reached the engine, so `pulumi preview --refresh` could say that a resource drifted but
 * not which property. This handler builds the whole DiffResponse (diffs, detailedDiff,
 * hasDetailedDiff) and replaces the SDK's on the service object before the server serves it.
 */
import * as path from "path";
import type * as grpc from "@grpc/grpc-js";
import type { DiffResult, PropertyDiffKind } from "../components/resourceProvider";

/* eslint-disable @typescript-eslint/no-var-requires */
const providerProto = require("@pulumi/pulumi/proto/provider_pb");
/* eslint-enable @typescript-eslint/no-var-requires */

/** What the handler calls: the plugin's diff, with the protocol's values (secret wrappers and all). */
export type DiffCall = (id: string, urn: string, olds: any, news: any) => Promise<DiffResult>;

const KINDS: Record<PropertyDiffKind, number> = {
    add: providerProto.PropertyDiff.Kind.ADD,
    "add-replace": providerProto.PropertyDiff.Kind.ADD_REPLACE,
    delete: providerProto.PropertyDiff.Kind.DELETE,
    "delete-replace": providerProto.PropertyDiff.Kind.DELETE_REPLACE,
    update: providerProto.PropertyDiff.Kind.UPDATE,
    "update-replace": providerProto.PropertyDiff.Kind.UPDATE_REPLACE,
};

/** The protocol's DiffResponse for `result`. */
export function diffResponse(result: DiffResult): any {
    const response = new providerProto.DiffResponse();
    const { DIFF_SOME, DIFF_NONE, DIFF_UNKNOWN } = providerProto.DiffResponse.DiffChanges;
    response.setChanges(result.changes === true ? DIFF_SOME : result.changes === false ? DIFF_NONE : DIFF_UNKNOWN);
    response.setReplacesList(result.replaces ?? []);
    response.setDeletebeforereplace(result.deleteBeforeReplace === true);
    if (result.detailedDiff) {
        response.setDiffsList(Object.keys(result.detailedDiff));
        const detailed = response.getDetaileddiffMap();
        for (const [key, kind] of Object.entries(result.detailedDiff)) {
            const property = new providerProto.PropertyDiff();
            property.setKind(KINDS[kind]);
            // Our Diffs compare the state (the outputs, observed values included) with the new inputs.
            property.setInputdiff(false);
            detailed.set(key, property);
        }
        // Tells the engine to show exactly these properties rather than compute its own diff.
        response.setHasdetaileddiff(true);
    }
    return response;
}

/** The gRPC handler: the same request decoding as the SDK's (Struct to JavaScript), our response. */
export function diffHandler(diff: DiffCall): grpc.handleUnaryCall<any, any> {
    return (call, callback) => {
        const request = call.request;
        Promise.resolve()
            .then(() => diff(request.getId(), request.getUrn(), request.getOlds()?.toJavaScript() ?? {}, request.getNews()?.toJavaScript() ?? {}))
            .then(
                (result) => callback(null, diffResponse(result)),
                (error: Error) => callback(error, null),
            );
    };
}

/**
 * Runs `start` (the SDK's provider.main) with the ResourceProvider service's Diff answered by
 * `diff`. The SDK creates its gRPC server and adds the service synchronously inside main, before
 * its first await: the hook on grpc-js's Server.addService (the very module the SDK loads) is
 * in place for exactly that call and removed as soon as it is used or main has returned.
 */
export function serveWithDetailedDiff<T>(diff: DiffCall, start: () => Promise<T>): Promise<T> {
    const grpcOfSdk = require(require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/pulumi/provider/server"))] })) as typeof grpc;
    const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
    const prototype = grpcOfSdk.Server.prototype;
    const addService = prototype.addService;
    let replaced = false;
    prototype.addService = function (this: grpc.Server, service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) {
        if (service === providerRpc.ResourceProviderService) {
            prototype.addService = addService;
            replaced = true;
            implementation.diff = diffHandler(diff);
        }
        return addService.call(this, service, implementation);
    };
    try {
        const started = start();
        if (!replaced) {
            throw new Error("palette-airgap plugin: the SDK's provider.main did not add the ResourceProvider service synchronously; Diff would lose its detailed diff");
        }
        return started;
    } finally {
        prototype.addService = addService;
    }
}
