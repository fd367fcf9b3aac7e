/**
 * A real terminal for interactive commands: a tmux server of its own (its own socket, no user
 * config), one detached session running the command, keys sent with send-keys and the screen
 * read with capture-pane. Debian package: tmux.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";

export const EXIT_MARK = "PALETTE-TEST-EXIT=";

export class TmuxSession {
    private readonly socket = `palette-airgap-test-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;

    /** Starts `command` (a shell command line) in `cwd`; its exit code is printed after it as EXIT_MARK<code>. */
    constructor(command: string, cwd: string, env: Record<string, string> = {}) {
        const environment = Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(value)}; `).join("");
        // The shell stays open after the command so that the pane can still be read.
        const line = `cd ${shellQuote(cwd)} && ${environment}${command}; echo "${EXIT_MARK}$?"; exec sleep 600`;
        this.tmux("new-session", "-d", "-s", "main", "-x", "200", "-y", "50", line);
    }

    /** The whole pane, history included, wrapped lines joined. */
    screen(): string {
        return this.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "main");
    }

    /** Types `text` and Enter. */
    typeLine(text: string): void {
        if (text !== "") this.tmux("send-keys", "-t", "main", "-l", text);
        this.tmux("send-keys", "-t", "main", "Enter");
    }

    /** Sends tmux key names, e.g. C-d. */
    keys(...names: string[]): void {
        this.tmux("send-keys", "-t", "main", ...names);
    }

    /** Waits until `test` holds for the screen; returns the screen. */
    async waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 20000): Promise<string> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const screen = this.screen();
            if (test(screen)) return screen;
            if (Date.now() > deadline) throw new Error(`tmux: timed out waiting for ${what}; the screen:\n${screen}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }

    /** Waits for the command's exit code. */
    async exitCode(timeoutMs = 20000): Promise<number> {
        const screen = await this.waitFor((text) => text.includes(EXIT_MARK), "the command to exit", timeoutMs);
        return Number(new RegExp(`${EXIT_MARK}(\\d+)`).exec(screen)![1]);
    }

    /** Stops this session's tmux server (and the command in it). */
    close(): void {
        try {
            this.tmux("kill-server");
        } catch {
            // already gone
        }
    }

    private tmux(...args: string[]): string {
        return execFileSync("tmux", ["-L", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
    }
}

export function tmuxAvailable(): boolean {
    try {
        execFileSync("tmux", ["-V"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}
