/**
 * Files of ../shared (schemas): present in CI, absent in a user's clone. Tests that need them
 * skip with a clear message when they are absent, except in CI, where absence is a failure.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./stackHarness";

export const SHARED_DIR = path.resolve(PROJECT_ROOT, "..", "shared");

/** The path of a file under ../shared, or undefined when ../shared is absent outside CI. */
export function sharedFile(relative: string): string | undefined {
    const file = path.join(SHARED_DIR, relative);
    if (fs.existsSync(file)) {
        return file;
    }
    if (process.env.CI) {
        throw new Error(`${file} is missing: CI must run with ../shared beside the project`);
    }
    return undefined;
}

/** In a mocha `before`: skip the suite, saying why, when a shared file is absent. */
export function requireSharedFile(context: Mocha.Context, relative: string): string {
    const file = sharedFile(relative);
    if (!file) {
        console.warn(`    skipped: ${path.join(SHARED_DIR, relative)} is absent (it is beside the project in CI)`);
        context.skip();
    }
    return file as string;
}
