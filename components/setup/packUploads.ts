/**
 * PackUploads: one command resource per optional `airgap-pack-<name>-<version>.bin` (the
 * procedure's "Pack Binaries" table), named `pack-<name>-<version>`, so that `pulumi preview`
 * lists exactly the packs that would be pushed and a new pack binary pushes only itself.
 *
 *     const packs = new PackUploads("packs", {
 *         packBinaries: config.setup.packBinaries, workDir: config.setup.workDir,
 *         setupTarget: registry.setupTarget, logins: registry.logins,
 *         caFile: registry.caFile, insecure: registry.insecure, password: registry.password,
 *         after: setup,
 *     }, { parent: this });
 *
 * Each run is the same script as AirgapSetup's (login before each attempt, retries, success is
 * exit 0 and `Setup Completed`; no manifests zip), with triggers = [the pack binary's sha256, the
 * setup target, the destinations' ids]. Every run waits for `after` (the setup run: it creates the bases and pushes the
 * core packs), and at most `concurrency` run at once: the commands are chained into that many
 * lanes with dependsOn (pack i waits for pack i-concurrency). Each unpacks under its own
 * directory and logs in with its own DOCKER_CONFIG, so parallel runs never share a login.
 *
 * Destroy: no `delete`; pushed packs stay in the registry (see AirgapSetup).
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { PackBinary } from "../names";
import { BinaryRunArgs, binaryCommandArgs, binarySha256, runDirectories, runResultOf } from "./binaryCommand";

/** Default number of pack binaries run at the same time. */
export const DEFAULT_PACK_CONCURRENCY = 2;

export interface PackUploadsArgs extends BinaryRunArgs {
    /** The pack binaries, parsed from their file names. Default none (`[]`); `loadConfig().setup.packBinaries`. */
    packBinaries?: PackBinary[];
    /** Working directory root (runDir and stateDir default under it). Required; `loadConfig().setup.workDir`. */
    workDir: string;
    /** Resources every pack run waits for: the AirgapSetup. Default none. */
    after?: pulumi.Resource | pulumi.Resource[];
    /** At most this many pack binaries run at once (config packConcurrency). Default 2. */
    concurrency?: number;
}

/** One pack's upload. */
export interface PackUpload {
    name: string;
    version: string;
    /** The pack binary. */
    binary: string;
    /** Resource name of its command: `pack-<name>-<version>`. */
    resourceName: string;
    command: command.local.Command;
    /** sha256 of the pack binary (a trigger of its run). */
    binarySha256: pulumi.Output<string>;
    /** Attempts its run took (undefined in preview). */
    attempts: pulumi.Output<number | undefined>;
}

/** `palette-airgap:setup:PackUploads`. */
export class PackUploads extends pulumi.ComponentResource {
    /** One entry per pack binary, in the configured order. */
    public readonly uploads: PackUpload[];
    /** `[{ name, version, sha256, attempts }]` of every pack (attempts undefined in preview). */
    public readonly summary: pulumi.Output<{ name: string; version: string; sha256: string; attempts?: number }[]>;

    constructor(name: string, args: PackUploadsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:setup:PackUploads", name, {}, opts);
        const packs = args.packBinaries ?? [];
        const concurrency = args.concurrency ?? DEFAULT_PACK_CONCURRENCY;
        if (!Number.isInteger(concurrency) || concurrency < 1) {
            throw new pulumi.RunError(`packConcurrency: ${JSON.stringify(concurrency)} is not a whole number of at least 1`);
        }
        checkDistinct(packs);
        const { runDir, stateDir } = runDirectories(args.workDir, args);
        const after = args.after === undefined ? [] : Array.isArray(args.after) ? args.after : [args.after];

        this.uploads = [];
        packs.forEach((pack, index) => {
            const resourceName = packResourceName(pack);
            const sha256 = binarySha256(pack.path, `packBinaries[${index}]`);
            const previousInLane = index >= concurrency ? [this.uploads[index - concurrency].command] : [];
            const run = new command.local.Command(
                resourceName,
                binaryCommandArgs({
                    binaryPath: pack.path,
                    label: `pack ${pack.name} ${pack.version}`,
                    manifests: false,
                    sha256,
                    runDir,
                    stateDir,
                    args,
                    owner: `PackUploads ${name} (${resourceName})`,
                }),
                { parent: this, dependsOn: [...after, ...previousInLane] },
            );
            this.uploads.push({
                name: pack.name,
                version: pack.version,
                binary: pack.path,
                resourceName,
                command: run,
                binarySha256: sha256,
                attempts: runResultOf(run.stdout).apply((r) => r?.attempts),
            });
        });
        this.summary = pulumi.all(
            this.uploads.map((upload) =>
                pulumi.all([upload.binarySha256, upload.attempts]).apply(([sha256, attempts]) => ({
                    name: upload.name,
                    version: upload.version,
                    sha256,
                    ...(attempts === undefined ? {} : { attempts }),
                })),
            ),
        );
        this.registerOutputs({ summary: this.summary });
    }
}

/** `pack-<name>-<version>`: the command's resource name (part of its URN). */
export function packResourceName(pack: Pick<PackBinary, "name" | "version">): string {
    return `pack-${pack.name}-${pack.version}`;
}

/** Two binaries of the same pack and version would be two resources with one name. */
function checkDistinct(packs: PackBinary[]): void {
    const seen = new Map<string, number>();
    packs.forEach((pack, index) => {
        const key = packResourceName(pack);
        const first = seen.get(key);
        if (first !== undefined) {
            throw new pulumi.RunError(
                `packBinaries[${index}]: ${pack.path} is pack ${pack.name} ${pack.version} again (also packBinaries[${first}]): list each pack once`,
            );
        }
        seen.set(key, index);
    });
}
