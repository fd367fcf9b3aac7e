/**
 * The project as a user has it: a fresh copy of the checkout (what `git clone` gives, plus files
 * not yet committed, so a developer runs the tests on their change) in the test's own directory,
 * with `npm ci` from npm's local cache (`--offline`: tests send nothing off this machine).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./pulumiCli";

/** Copies the checkout's files (tracked and untracked, not ignored) into `dir`; returns `dir`. */
export function freshCopy(dir: string): string {
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
        .split("\0")
        .filter(Boolean);
    for (const file of files) {
        const from = path.join(PROJECT_ROOT, file);
        if (!fs.existsSync(from)) continue; // deleted in the work tree
        const to = path.join(dir, file);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.copyFileSync(from, to);
        fs.chmodSync(to, fs.statSync(from).mode);
    }
    return dir;
}

/**
 * A fresh copy of the checkout that runs with the checkout's packages and build: node_modules
 * linked, dist/ copied after the sources, so newer than them (the plugin takes it as built:
 * scripts/distFreshness.js). For tests other than the Quick start's, which runs `npm ci` itself.
 */
export function copyWithCheckoutBuild(dir: string): string {
    freshCopy(dir);
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.cpSync(path.join(PROJECT_ROOT, "dist"), path.join(dir, "dist"), { recursive: true });
    return dir;
}

/** `npm ci` in `dir`, from the local cache only. */
export function npmCiOffline(dir: string): void {
    const result = spawnSync("npm", ["ci", "--offline", "--no-audit", "--no-fund"], { cwd: dir, encoding: "utf8", timeout: 600_000 });
    if (result.status !== 0) {
        throw new Error(`npm ci --offline failed in ${dir} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
}

/** The `pulumi config set ... --secret KEY` lines a generator output asks the user to run. */
export function secretCommands(output: string): { key: string; line: string }[] {
    return output
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => /^pulumi config set .*--secret \w+/.test(line))
        .map((line) => ({ key: /--secret (\w+)/.exec(line)![1], line }));
}
