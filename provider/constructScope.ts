/**
 * One Construct, kept to itself. A component registers its children asynchronously: when a
 * child's input fails late (an Output that rejects after the constructor returned, e.g. the
 * file server's manifests zip gone), nothing awaits the child's registration, so its rejection is
 * an unhandled rejection. The SDK's provider server (provider/server.js of @pulumi/pulumi 3.x)
 * answers EVERY Construct in flight with an unhandled error, whichever call it came from, and
 * nothing stops the failed component's other children: they went on registering (the
 * file-server VM) after the error had been answered, and a later Construct in the same plugin
 * process could receive the stale error instead of its own result.
 *
 * So each Construct runs in a scope (AsyncLocalStorage: promises created while it runs, Output
 * applies and registrations included, carry it, and Node reports an unhandled rejection in the
 * context of the promise that rejected):
 * - its resource monitor is gated: once the Construct has failed, every registration, invoke or
 *   output registration still pending is refused instead of reaching the engine;
 * - an unhandled rejection or uncaught exception of a scope fails that Construct only (its own
 *   answer carries the error); after the answer it is logged to the engine and dropped;
 * - the Construct answers only once its state has resolved and all its registrations are done
 *   (the SDK waits for the latter too), so a late failure is its answer, not a leftover.
 * Errors outside any Construct go to the SDK's own handlers as before.
 */
import { AsyncLocalStorage } from "async_hooks";
import type * as pulumi from "@pulumi/pulumi";

// The SDK's index is loaded at the first Construct, not when the plugin starts (bench/PLUGIN-START.md).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const sdk = () => require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");

/* eslint-disable @typescript-eslint/no-var-requires */
/** The SDK's per-Construct runtime state (runtime/state.js): the monitor client lives in `settings.monitor`. */
const runtimeState = require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { monitor?: object } }; getLocalStore(): object | undefined };
const runtimeSettings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void>; getMonitor(): object | undefined };
/* eslint-enable @typescript-eslint/no-var-requires */

/** gRPC's ABORTED: not UNAVAILABLE/CANCELLED, which the SDK reads as "the engine is shutting down" and then closes its global clients. */
const GRPC_ABORTED = 10;

const scopes = new AsyncLocalStorage<ConstructScope>();

class ConstructScope {
    /** The first error of the Construct, once it failed. */
    error: Error | undefined;
    /** The Construct has answered (result or error). */
    answered = false;
    private rejectFailure!: (error: Error) => void;
    /** Rejects with the first late failure reported by the uncaught-error router. */
    readonly failure = new Promise<never>((_resolve, reject) => (this.rejectFailure = reject));

    constructor(readonly label: string) {
        this.failure.catch(() => undefined); // read through Promise.race only
    }

    fail(error: Error): void {
        if (this.error) return;
        this.error = error;
        this.rejectFailure(error);
    }

    /** The store's monitor, behind a door that shuts when the Construct fails. */
    gateMonitor(): void {
        // Only a Construct served over gRPC has a store of its own; in-process (the SDK's mocks)
        // the store is the process's, and a gate there would outlive this Construct.
        if (runtimeState.getLocalStore() === undefined) return;
        const monitor = runtimeSettings.getMonitor();
        if (!monitor) return;
        const scope = this;
        runtimeState.getStore().settings.monitor = new Proxy(monitor, {
            get(target, property, receiver) {
                const value = Reflect.get(target, property, receiver);
                if (typeof value !== "function" || property === "close") return typeof value === "function" ? value.bind(target) : value;
                return (...args: unknown[]) => {
                    if (!scope.error) return value.apply(target, args);
                    // A refused call answers its callback (the last argument) as the client would.
                    const callback = args[args.length - 1];
                    const refusal = Object.assign(new Error(`${scope.label} failed (${scope.error.message.split("\n")[0]}); nothing more of it is registered`), {
                        code: GRPC_ABORTED,
                        details: "construct failed",
                    });
                    if (typeof callback === "function") setImmediate(() => callback(refusal, undefined));
                    return undefined;
                };
            },
        });
    }
}

/**
 * Runs `build` (one Construct) in its own scope and returns its result once the state has
 * resolved and every registration it started is done; rejects with its first failure, early or
 * late, after which nothing more of it reaches the engine.
 */
export async function runConstruct<T extends { urn: pulumi.Input<string>; state: pulumi.Inputs }>(label: string, build: () => Promise<T>): Promise<T> {
    const scope = new ConstructScope(label);
    return scopes.run(scope, async () => {
        scope.gateMonitor();
        try {
            const result = await Promise.race([complete(build), scope.failure]);
            scope.answered = true;
            return result;
        } catch (error) {
            scope.fail(error instanceof Error ? error : new Error(String(error)));
            scope.answered = true;
            throw error;
        }
    });
}

async function complete<T extends { urn: pulumi.Input<string>; state: pulumi.Inputs }>(build: () => Promise<T>): Promise<T> {
    const result = await build();
    // A late failure in the outputs is this Construct's error, reported before it answers.
    await (sdk().output({ urn: result.urn, state: result.state }) as unknown as { promise(): Promise<unknown> }).promise();
    await runtimeSettings.waitForRPCs();
    return result;
}

type ErrorListener = (error: unknown, ...rest: unknown[]) => void;
const ROUTED_EVENTS = ["unhandledRejection", "uncaughtException"] as const;

/**
 * Runs `start` (the SDK's provider.main, which installs its handlers of unhandled rejections
 * and uncaught exceptions synchronously, before its first await) and puts one router in place of
 * the handlers it installed: an error of a Construct's scope goes to that Construct, any other
 * error to the SDK's handlers as before.
 */
export function routeUncaughtErrors<T>(start: () => Promise<T>): Promise<T> {
    // Plain EventEmitter typing: Node's overloads of process.on take one event name at a time.
    const emitter = process as unknown as NodeJS.EventEmitter;
    const before = new Map(ROUTED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
    const started = start();
    for (const event of ROUTED_EVENTS) {
        const added = (emitter.listeners(event) as ErrorListener[]).filter((listener) => !before.get(event)!.has(listener));
        for (const listener of added) emitter.removeListener(event, listener);
        emitter.on(event, (error: unknown, ...rest: unknown[]) => {
            const scope = scopes.getStore();
            if (!scope) {
                for (const listener of added) listener(error, ...rest);
                return;
            }
            const failure = error instanceof Error ? error : new Error(String(error));
            if (!scope.answered) {
                scope.fail(failure);
            } else if (!scope.error) {
                // Answered with a result, then failed: the engine can no longer get it as the answer.
                void sdk().log.error(`${scope.label}: failed after it had answered: ${failure.message}`);
            }
            // A failed scope's further rejections (the refused registrations) are its own echoes.
        });
    }
    return started;
}
