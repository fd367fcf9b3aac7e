/**
 * An air-gapped site on this machine, for the end-to-end tests, made of the real local services
 * the integration tests use:
 *
 * - vCenter: vcsim (tests/support/vcsim.ts), its CA trusted by the CLI's plugins through
 *   SSL_CERT_FILE (as a site adds its CA to the system store);
 * - two Harbors, as in the procedure's own example (packs on one, images on the other): each the
 *   Harbor API stand-in (checked against Harbor's swagger) in front of a real docker-registry with
 *   TLS and a password, on one endpoint as Harbor serves both;
 * - the setup binary and a pack binary: makeself archives that push with skopeo from the
 *   documented variables and write the manifests zip;
 * - the OVA: a small real OVA (tests/support/ovaBuilder.ts);
 * - the file-server VM's guest: the VM itself is cloned in vcsim by the vSphere plugin; what the
 *   package then does "on the guest" (cloud-init wait, zip copy, publish over SSH, serve over
 *   HTTP) reaches a real sshd and nginx bound to the VM's static address, a loopback address of
 *   its own (127.0.0.<n>), logged in as a non-root user with sudo, as on the Ubuntu template.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startHarborStandIn, type HarborStandIn } from "../../support/harborStandIn";
import { buildFakePackBinary, buildFakeSetupBinary, type FakeBinary, type FakeFaults } from "../../support/makeselfBinaries";
import { startNginx, type TestNginx } from "../../support/nginx";
import { buildTestOva, type TestOva } from "../../support/ovaBuilder";
import { startRegistry, type TestRegistry } from "../../support/registry";
import { sharedFile } from "../../support/sharedFiles";
import { startSshd, type TestSshd } from "../../support/sshd";
import { GOVMOMI_BIN, startVcsim, type Vcsim } from "../../support/vcsim";


/** The guest's login: a non-root user with passwordless sudo, as cloud-init makes it on the template. */
export const GUEST_USER = "palette-e2e";

export interface SiteHarbor {
    harbor: HarborStandIn;
    registry: TestRegistry;
    endpoint: string;
    username: string;
    password: string;
    caFile: string;
}

export interface SiteGuest {
    address: string;
    /** The guest's cloud-init calls so far, one per line (the publish waits with `status --wait`). */
    cloudInitCalls(): string;
    sshd: TestSshd;
    nginx: TestNginx;
    webRoot: string;
    publicKey: string;
    privateKey: string;
}

export interface AirgapSite {
    dir: string;
    vcsim: Vcsim;
    packs: SiteHarbor;
    images: SiteHarbor;
    setupBinary: FakeBinary;
    packBinaries: FakeBinary[];
    /** A pack binary the generated stack does not name (a later change of config adds it). */
    extraPackBinary: FakeBinary;
    ova: TestOva;
    /** Another OVA (a newer Kubernetes), for a change of ovaSource. */
    nextOva: TestOva;
    guest: SiteGuest;
    /** One CA bundle: vcsim's and both Harbors' (for SSL_CERT_FILE / NODE_EXTRA_CA_CERTS). */
    caBundle: string;
    /** Answers for `npm run new-stack -- <name> --non-interactive`, as flags (the file server on `on`, default the site's guest). */
    newStackFlags(stack: string, on?: SiteGuest): string[];
    /** Runs govc (the toolchain's, built from govmomi) against vcsim; the password only in its environment. */
    govc(args: string[]): string;
    /** The `pulumi config set --secret` values the generator asks for. */
    secrets: Record<string, string>;
    stop(): Promise<void>;
}

/** Harbor's API description, beside the project (../shared), which the e2e tests need. */
export function harborSwagger(): string {
    const file = sharedFile("schemas/harbor-swagger-v2.15.2.yaml");
    if (!file) throw new Error("../shared/schemas/harbor-swagger-v2.15.2.yaml is absent: the e2e tests need shared/ beside the project, as in CI");
    return file;
}

async function startHarbor(username: string): Promise<SiteHarbor> {
    const registry = await startRegistry({ username });
    const harbor = await startHarborStandIn({
        swaggerFile: harborSwagger(),
        username,
        password: registry.password,
        registry: { endpoint: registry.endpoint, caFile: registry.caFile },
    });
    return { harbor, registry, endpoint: harbor.endpoint, username, password: registry.password, caFile: harbor.caFile };
}

/**
 * A file-server VM's guest: sshd (port 22) and nginx (port 80) on a loopback address of its own,
 * the user with sudo, and a cloud-init whose boot stages are done. Another stack gets another.
 */
export async function startGuest(siteDir: string): Promise<SiteGuest & { stop(): Promise<void> }> {
    const dir = fs.mkdtempSync(path.join(siteDir, "guest-"));
    fs.chmodSync(dir, 0o755);
    const stops: (() => Promise<void>)[] = [];
    const stop = async () => {
        for (const fn of stops.reverse()) await fn().catch(() => undefined);
    };
    try {
        ensureGuestUser();
        const address = guestAddress();
        const webRoot = path.join("/srv", path.basename(dir), "manifests");
        fs.mkdirSync(path.dirname(webRoot), { recursive: true });
        stops.push(async () => fs.rmSync(path.dirname(webRoot), { recursive: true, force: true }));
        // The VM's cloud-init has finished its boot stages by the time the publish logs in; this
        // machine's never ran, so the guest's sessions see a cloud-init whose status is done (and
        // every call is recorded, to show the publish waited for it).
        const guestBin = path.join(dir, "guest-bin");
        fs.mkdirSync(guestBin, { mode: 0o755 });
        const cloudInitCalls = path.join(dir, "cloud-init-calls.log");
        fs.writeFileSync(cloudInitCalls, "");
        fs.chmodSync(cloudInitCalls, 0o666); // the guest's user appends to it (the umask would drop the write bits)
        fs.writeFileSync(
            path.join(guestBin, "cloud-init"),
            `#!/bin/sh\necho "$*" >> '${cloudInitCalls}'\nif [ "$1" = status ]; then echo "status: done"; exit 0; fi\nexec /usr/bin/cloud-init "$@"\n`,
            { mode: 0o755 },
        );
        const sshd = await startSshd({ host: address, port: 22, user: GUEST_USER, sessionPath: `${guestBin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin` });
        stops.push(() => sshd.stop());
        const nginx = await startNginx({ root: webRoot, host: address, port: 80 });
        stops.push(() => nginx.stop());
        const guest: SiteGuest = { address, sshd, nginx, webRoot, cloudInitCalls: () => fs.readFileSync(cloudInitCalls, "utf8"), publicKey: fs.readFileSync(`${sshd.privateKeyPath}.pub`, "utf8").trim(), privateKey: sshd.privateKey };
        return { ...guest, stop };
    } catch (error) {
        await stop();
        throw error;
    }
}

/** Makes the guest's user (idempotent) with sudo, as the template's cloud-init would. */
function ensureGuestUser(): void {
    try {
        execFileSync("id", [GUEST_USER], { stdio: "ignore" });
    } catch {
        try {
            execFileSync("useradd", ["--create-home", "--shell", "/bin/bash", GUEST_USER], { stdio: "pipe" });
        } catch (error) {
            // Another test process may have made it meanwhile.
            execFileSync("id", [GUEST_USER], { stdio: "ignore" });
            void error;
        }
    }
    // No password, but not locked ("!"): sshd without PAM refuses locked accounts even with a key.
    execFileSync("usermod", ["--password", "*", GUEST_USER], { stdio: "pipe" });
    fs.writeFileSync(`/etc/sudoers.d/${GUEST_USER}`, `${GUEST_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
}

let nextGuest = 0;

/** A loopback address no other site of this process uses (127.0.0.1 stays the other services'). */
function guestAddress(): string {
    nextGuest += 1;
    // From the pid: two test processes (mocha's parallel workers) never pick the same one.
    return `127.${(Math.floor(process.pid / 250) % 250) + 1}.${(process.pid % 250) + 1}.${nextGuest + 10}`;
}

export async function startSite(options: { packs?: number; setupFaults?: FakeFaults } = {}): Promise<AirgapSite> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-site-"));
    fs.chmodSync(dir, 0o755);
    const stops: (() => Promise<void>)[] = [];
    const stop = async () => {
        for (const fn of stops.reverse()) await fn().catch(() => undefined);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        const vcsim = await startVcsim();
        stops.push(() => vcsim.stop());
        const packs = await startHarbor("packs-admin");
        stops.push(() => packs.harbor.stop(), () => packs.registry.stop());
        const images = await startHarbor("robot-images");
        stops.push(() => images.harbor.stop(), () => images.registry.stop());

        const manifests = path.join(dir, "manifests");
        fs.mkdirSync(manifests);
        const setupBinary = buildFakeSetupBinary({ outDir: path.join(dir, "bins"), manifestsDir: manifests, version: "4.2.13", faults: options.setupFaults });
        const packBinaries = Array.from({ length: options.packs ?? 1 }, (_unused, index) =>
            buildFakePackBinary({ name: index === 0 ? "vault" : `extra${index}`, version: "0.24.1" }, { outDir: path.join(dir, "bins") }),
        );
        const extraPackBinary = buildFakePackBinary({ name: "cni-calico", version: "3.26.0" }, { outDir: path.join(dir, "bins") });
        const ova = await buildTestOva(path.join(dir, "ova"), { fileName: "u-2204-0-k-12510-0.ova", diskBytes: 1024 * 1024 });
        const nextOva = await buildTestOva(path.join(dir, "ova-next"), { fileName: "u-2204-0-k-12610-0.ova", diskBytes: 1024 * 1024, seed: 2 });

        const guest = await startGuest(dir);
        stops.push(() => guest.stop());

        const caBundle = path.join(dir, "ca-bundle.pem");
        fs.writeFileSync(caBundle, [vcsim.caFile, packs.caFile, images.caFile].map((file) => fs.readFileSync(file, "utf8")).join("\n"));

        const site: AirgapSite = {
            dir,
            vcsim,
            packs,
            images,
            setupBinary,
            packBinaries,
            extraPackBinary,
            ova,
            nextOva,
            guest,
            caBundle,
            secrets: { vspherePassword: vcsim.password, registryPassword: packs.password, imageRegistryPassword: images.password, fileServerSshPrivateKey: guest.privateKey },
            newStackFlags: (stack, on = guest) => [
                "--lifecycle", "lab",
                "--vsphereServer", vcsim.host,
                "--vsphereUser", vcsim.username,
                "--vsphereCaFile", vcsim.caFile,
                "--datacenter", "DC0",
                "--cluster", "DC0_C0",
                "--datastore", "LocalDS_0",
                "--network", "VM Network",
                "--ovaSource", ova.path,
                "--registryKind", "harbor",
                "--registryEndpoint", packs.endpoint,
                "--registryUsername", packs.username,
                "--registryCaFile", packs.caFile,
                "--imageRegistryEndpoint", images.endpoint,
                "--imageRegistryUsername", images.username,
                "--imageRegistryCaFile", images.caFile,
                "--setupBinary", setupBinary.path,
                "--packBinaries", packBinaries.map((bin) => bin.path).join(","),
                "--setupMaxAttempts", "1",
                "--workDir", path.join(dir, `work-${stack}`),
                "--minFreeGb", "0",
                "--fileServerName", `palette-manifests-${stack}`,
                "--fileServerTemplate", "DC0_H0_VM0",
                "--fileServerIp", `${on.address}/8`,
                "--fileServerGateway", "127.0.0.1",
                "--fileServerDns", "127.0.0.1",
                "--fileServerSshUser", GUEST_USER,
                "--fileServerSshPublicKey", on.publicKey,
                "--fileServerWebRoot", on.webRoot,
            ],
            govc: (args) =>
                execFileSync(path.join(GOVMOMI_BIN, "govc"), args, {
                    encoding: "utf8",
                    env: { ...process.env, GOVC_URL: `https://${vcsim.host}/sdk`, GOVC_USERNAME: vcsim.username, GOVC_PASSWORD: vcsim.password, GOVC_TLS_CA_CERTS: vcsim.caFile },
                }).trim(),
            stop,
        };
        return site;
    } catch (error) {
        await stop();
        throw error;
    }
}
