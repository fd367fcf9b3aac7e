/**
 * `pulumi.log` for the custom resources' implementations, which run inside the provider plugin
 * and use nothing else of the SDK: `@pulumi/pulumi/log` is already loaded by the plugin's gRPC
 * server, whereas `@pulumi/pulumi` (the index) loads the whole SDK, automation and npm tooling
 * included (about 1 s and 60 MiB; bench/PLUGIN-START.md). Import it as `pulumi` so that call
 * sites read `pulumi.log.info(...)` either way.
 */
import * as log from "@pulumi/pulumi/log";

export { log };
