/**
 * Keeps ts-node's output per file for the life of the test process. The stack harness clears the
 * program's modules before every run (each run must start from fresh module state), and ts-node
 * would otherwise transpile every component again: about 0.5 s of CPU per run, most of the mock
 * tests' time. A file is transpiled again when its modification time changes.
 */
import * as fs from "fs";

type Extension = (module: NodeJS.Module & { _compile(code: string, filename: string): unknown }, filename: string) => void;

const extensions = require.extensions as unknown as Record<string, Extension>;
const MARK = Symbol.for("palette-airgap.transpileCache");

if (extensions[".ts"] && !(extensions[".ts"] as unknown as Record<symbol, boolean>)[MARK]) {
    const transpile = extensions[".ts"];
    const outputs = new Map<string, { mtimeMs: number; code: string }>();
    const cached: Extension = (module, filename) => {
        const mtimeMs = fs.statSync(filename).mtimeMs;
        const hit = outputs.get(filename);
        if (hit && hit.mtimeMs === mtimeMs) {
            module._compile(hit.code, filename);
            return;
        }
        // ts-node's handler wraps module._compile to transpile first: wrap it underneath to keep the output.
        const compile = module._compile;
        module._compile = function (this: unknown, code: string, name: string) {
            outputs.set(filename, { mtimeMs, code });
            return compile.call(this, code, name);
        };
        transpile(module, filename);
    };
    (cached as unknown as Record<symbol, boolean>)[MARK] = true;
    extensions[".ts"] = cached;
}
