/**
 * The plugin's entry point (bin/pulumi-resource-palette-airgap runs the compiled form). The
 * engine starts it with the engine's address as the first argument (after optional flags such as
 * `--logtostderr`, `-v=9`, `--tracing <endpoint>`), reads the port it prints on stdout, and talks
 * to it over gRPC.
 */

/** The engine's address among the plugin's arguments (the SDK's own parsing rules). */
export function engineAddress(args: readonly string[]): string | undefined {
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--logtostderr" || args[i].startsWith("-v=")) continue;
        if (args[i] === "--tracing") {
            i++;
            continue;
        }
        return args[i];
    }
    return undefined;
}

const args = process.argv.slice(2);
// The SDK sends `pulumi.log` messages to the engine found in this variable, read when the SDK
// loads: set it first, so that what our resources log reaches the engine (the `pulumi up` output).
const engine = engineAddress(args);
if (engine && !process.env.PULUMI_NODEJS_ENGINE) {
    process.env.PULUMI_NODEJS_ENGINE = engine;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { main } = require("@pulumi/pulumi/provider/server") as typeof import("@pulumi/pulumi/provider/server");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { PaletteAirgapProvider } = require("./paletteAirgapProvider") as typeof import("./paletteAirgapProvider");

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { serveWithDetailedDiff } = require("./diffService") as typeof import("./diffService");

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { routeUncaughtErrors } = require("./constructScope") as typeof import("./constructScope");

const provider = new PaletteAirgapProvider();
// The SDK's Diff handler drops the detailed diff: ours answers Diff (./diffService). The SDK's
// handlers of unhandled errors answer every Construct in flight with any of them: ours route an
// error to the Construct it came from (./constructScope).
routeUncaughtErrors(() => serveWithDetailedDiff((id, urn, olds, news) => provider.diff(id, urn, olds, news), () => main(provider, args))).catch((error: Error) => {
    console.error(`palette-airgap plugin: ${error.stack ?? error.message}`);
    process.exit(1);
});
