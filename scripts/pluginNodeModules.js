/**
 * `npm run package` (scripts/package-plugin.sh): trims a staged copy of node_modules, already
 * pruned with `npm prune --omit=dev`, to what the plugin runs, as a tree of regular files and
 * directories only:
 *
 * - the packages the lock file marks `devOptional`: needed by a dev dependency or only as an
 *   optional peer of a production one. `npm prune --omit=dev` keeps them, so TypeScript (23 MB;
 *   an optional peer of @pulumi/pulumi) and ts-node with its dependencies stayed in the tarball;
 * - every `.bin` folder: npm's symlinks to package executables, which the plugin never runs and
 *   which Pulumi CLIs before 3.247 refuse to install ("unexpected plugin file type");
 * - `@types` folders, `.d.ts` declarations and dependency `.map` files: compile-time and
 *   debugging data (about half of node_modules: @pulumi/aws alone ships tens of MB of them).
 *
 * Then it fails if any symbolic link is left, naming it, rather than ship a tarball an older
 * CLI rejects.
 *
 *   node scripts/pluginNodeModules.js <stage dir holding package-lock.json and node_modules>
 */
"use strict";
const fs = require("fs");
const path = require("path");

function walk(dir, visit) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (visit(full, entry) === "skip") continue;
        if (entry.isDirectory()) walk(full, visit);
    }
}

function trim(stage) {
    const lock = JSON.parse(fs.readFileSync(path.join(stage, "package-lock.json"), "utf8"));
    for (const [location, meta] of Object.entries(lock.packages ?? {})) {
        if (location !== "" && (meta.devOptional || meta.dev)) fs.rmSync(path.join(stage, location), { recursive: true, force: true });
    }
    const modules = path.join(stage, "node_modules");
    walk(modules, (full, entry) => {
        if (entry.isDirectory() && (entry.name === ".bin" || entry.name === "@types")) {
            fs.rmSync(full, { recursive: true, force: true });
            return "skip";
        }
        if (entry.isFile() && (entry.name.endsWith(".d.ts") || entry.name.endsWith(".d.mts") || entry.name.endsWith(".d.cts") || entry.name.endsWith(".map"))) {
            fs.rmSync(full);
        }
        return undefined;
    });
    const links = [];
    walk(stage, (full, entry) => {
        if (entry.isSymbolicLink()) links.push(path.relative(stage, full));
        else if (!entry.isFile() && !entry.isDirectory()) links.push(`${path.relative(stage, full)} (not a regular file)`);
    });
    if (links.length > 0) {
        throw new Error(`the plugin tarball may hold regular files and directories only; found:\n  ${links.join("\n  ")}`);
    }
}

module.exports = { trim };

if (require.main === module) {
    const stage = process.argv[2];
    if (!stage) {
        console.error("usage: node scripts/pluginNodeModules.js <stage dir>");
        process.exit(2);
    }
    try {
        trim(stage);
    } catch (error) {
        console.error(`palette-airgap package: ${error.message}`);
        process.exit(1);
    }
}
