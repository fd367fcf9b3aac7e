/**
 * AirgapSetup: the airgap setup binary run as a command resource (procedure steps 7 to 11): log
 * in to the registry, run `airgap-v<version>.bin` with the OCI_* / ECR_* variables, retry after a
 * fresh login, succeed only on exit 0 with `Setup Completed`, and report the manifests zip.
 *
 *     const setup = new AirgapSetup("setup", {
 *         setup: config.setup,
 *         setupTarget: registry.setupTarget, logins: registry.logins,
 *         caFile: registry.caFile, insecure: registry.insecure, password: registry.password,
 *     }, { parent: this });
 *
 * The run is a `command.local.Command` (see ./binaryCommand for how it is set up). It runs again
 * only when the binary's content (sha256) or the setup target changes (triggers: replacement), or
 * when another input of the run changes (the script: paths, login tool, attempts, CA; or the
 * password): then the provider updates the Command by running the same script again. Pushing what
 * the registry already holds is cheap for the registry, but the binary unpacks again.
 *
 * Destroy: the Command has no `delete`, so uploads are not undone. The content goes away with the
 * registry's repositories (OciRegistry: Harbor projects, ECR repositories), which guard it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { SetupSettings } from "../config";
import { BinaryRunArgs, binaryCommandArgs, binarySha256, runDirectories, runResultOf } from "./binaryCommand";

export interface AirgapSetupArgs extends BinaryRunArgs {
    /** The setup binary (`binary`), its pinned sha256 (`sha256`, checked when set) and `workDir`. Required; `loadConfig().setup`. */
    setup: SetupSettings;
}

/** `palette-airgap:setup:AirgapSetup`. */
export class AirgapSetup extends pulumi.ComponentResource {
    /** The command resource that runs the binary. */
    public readonly command: command.local.Command;
    /** sha256 of the setup binary (computed at program time; a trigger of the run). */
    public readonly binarySha256: pulumi.Output<string>;
    /** Absolute path of the spectro-manifests zip the run wrote (undefined in preview). */
    public readonly manifestsZip: pulumi.Output<string | undefined>;
    /** The version the binary printed, e.g. `4.0.17` (undefined in preview or when it printed none). */
    public readonly version: pulumi.Output<string | undefined>;
    /** Attempts the run took (undefined in preview). */
    public readonly attempts: pulumi.Output<number | undefined>;
    /** Log file of the successful attempt. */
    public readonly logFile: pulumi.Output<string | undefined>;
    /** Directory of the run's logs: `<runDir>/logs`. */
    public readonly logDir: string;

    constructor(name: string, args: AirgapSetupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:setup:AirgapSetup", name, {}, opts);
        const { runDir, stateDir } = runDirectories(args.setup.workDir, args);
        this.logDir = `${runDir}/logs`;
        this.binarySha256 = binarySha256(args.setup.binary, "setupBinary", args.setup.sha256, "setupBinarySha256");
        this.command = new command.local.Command(
            `${name}-run`,
            binaryCommandArgs({
                binaryPath: args.setup.binary,
                label: "setup",
                manifests: true,
                sha256: this.binarySha256,
                runDir,
                stateDir,
                args,
                owner: `AirgapSetup ${name}`,
            }),
            { parent: this },
        );
        const result = runResultOf(this.command.stdout);
        this.manifestsZip = result.apply((r) => r?.manifestsZip);
        this.version = result.apply((r) => r?.version);
        this.attempts = result.apply((r) => r?.attempts);
        this.logFile = result.apply((r) => r?.log);
        this.registerOutputs({
            binarySha256: this.binarySha256,
            manifestsZip: this.manifestsZip,
            version: this.version,
            attempts: this.attempts,
            logFile: this.logFile,
            logDir: this.logDir,
        });
    }
}
