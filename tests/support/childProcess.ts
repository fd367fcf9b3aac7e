/** Stopping the local services the tests start (registry, sshd, nginx) by PID. */
import type { ChildProcess } from "child_process";

/**
 * Sends `signal` to the child, then SIGKILL if it is still there after `graceMs`, and waits for
 * it to exit. A child that already exited is left alone.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return;
    }
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const kill = (which: NodeJS.Signals) => {
        try {
            process.kill(child.pid as number, which);
        } catch {
            // already gone
        }
    };
    kill(signal);
    const timer = setTimeout(() => kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
}
