/**
 * Whether dist/ (the JavaScript `npm run build` compiles, which the provider plugin runs) is up
 * to date with the TypeScript sources of this checkout. Shared by `npm run build` (which skips
 * the compiler when nothing changed: `npm ci` builds through `prepare`, and tests/run-all.sh then
 * builds again), the plugin executable (which refuses to run stale code in a checkout instead of
 * serving yesterday's behaviour to `pulumi preview`) and the tests (tests/support/plugin.ts).
 *
 * Fresh means: the stamp `dist/.build-complete` (written only after the compiler succeeded)
 * is at least as new as every source and compiler setting, and every source has its .js.
 *
 *   node scripts/distFreshness.js            prints why dist/ is stale and exits 1, or exits 0
 *   node scripts/distFreshness.js --stamp    records a successful build (npm run build)
 *
 * Plain JavaScript: it runs before anything is compiled, and from the plugin executable.
 */
"use strict";
const fs = require("fs");
const path = require("path");

/** What tsconfig.build.json compiles ("include"), and the settings that change its output. */
const SOURCE_DIRS = ["components", "provider"];
const SOURCE_FILES = ["index.ts", "tsconfig.json", "tsconfig.build.json"];
const STAMP = path.join("dist", ".build-complete");

function listTs(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? listTs(full) : entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
    });
}

function mtimeOf(file) {
    try {
        return fs.statSync(file).mtimeMs;
    } catch {
        return undefined;
    }
}

/** Why dist/ under `root` is stale (one line), or undefined when it is fresh. About 100 stat calls: cheap enough for every plugin start. */
function staleReason(root) {
    const built = mtimeOf(path.join(root, STAMP));
    if (built === undefined) return `${STAMP} is missing (no complete build)`;
    const sources = [...SOURCE_FILES.map((file) => path.join(root, file)), ...SOURCE_DIRS.flatMap((dir) => listTs(path.join(root, dir)))];
    for (const source of sources) {
        const changed = mtimeOf(source);
        if (changed !== undefined && changed > built) return `${path.relative(root, source)} changed after the last build`;
        if (source.endsWith(".ts") && mtimeOf(path.join(root, "dist", path.relative(root, source)).replace(/\.ts$/, ".js")) === undefined) {
            return `${path.relative(root, source)} has no compiled form in dist/`;
        }
    }
    return undefined;
}

function stamp(root) {
    fs.writeFileSync(path.join(root, STAMP), `${new Date().toISOString()}\n`);
}

/** Removes the stamp before a build, so that a build that fails half-way is never taken as fresh. */
function unstamp(root) {
    fs.rmSync(path.join(root, STAMP), { force: true });
}

module.exports = { staleReason, stamp, unstamp, STAMP };

if (require.main === module) {
    const root = path.resolve(__dirname, "..");
    const mode = process.argv[2];
    if (mode === "--stamp") stamp(root);
    else if (mode === "--unstamp") unstamp(root);
    else {
        const reason = staleReason(root);
        if (reason) {
            console.log(`dist/ is stale: ${reason}`);
            process.exit(1);
        }
    }
}
