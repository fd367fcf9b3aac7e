/**
 * Preloaded into the plugin process by tests/plugin/startup.test.ts (NODE_OPTIONS=--require):
 * when the plugin writes its first line to stdout (its port, the moment the engine stops
 * waiting), writes the files in Node's module cache to stderr as one line
 * `loaded-modules-at-port: [...]`. A test-only probe: the plugin itself has no such hook.
 */
"use strict";
const write = process.stdout.write.bind(process.stdout);
let reported = false;
process.stdout.write = function (chunk, ...rest) {
    if (!reported) {
        reported = true;
        process.stderr.write(`loaded-modules-at-port: ${JSON.stringify(Object.keys(require.cache))}\n`);
    }
    return write(chunk, ...rest);
};
