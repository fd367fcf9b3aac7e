/**
 * Two stacks side by side in one project, as README "Destroy, per stack kind" describes them,
 * run by the real Pulumi CLI: a production Harbor stack and a lab stack on a generic registry
 * (nothing created there), each with its own state, template folder and file-server VM. The lab
 * stack's destroy leaves nothing of it and nothing of the other touched; the production stack's
 * destroy is refused by `protect`, and the README's way out (lifecycle lab, up, destroy) works.
 * The steps run in order on one site. Stand-in vsphere/command plugins (tests/e2e/standins).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startGuest, startSite, type AirgapSite, type SiteGuest } from "./support/airgapSite";
import { copyWithCheckoutBuild } from "./support/project";
import { assertSucceeded, PulumiSession, requireToolchain, type CliResult, stepsInOrder } from "./support/pulumiCli";
import { GOVMOMI_BIN } from "../support/vcsim";

const PROD = "harbor-prod";
const LAB = "generic-lab";

/** The flags with each `--key` of `overrides` replaced (or added) and each key of `remove` left out. */
function withFlags(flags: string[], overrides: Record<string, string>, remove: string[] = []): string[] {
    const result: string[] = [];
    for (let i = 0; i < flags.length; i += 2) {
        const key = flags[i].slice(2);
        if (remove.includes(key) || key in overrides) continue;
        result.push(flags[i], flags[i + 1]);
    }
    for (const [key, value] of Object.entries(overrides)) result.push(`--${key}`, value);
    return result;
}

describe("e2e: a production and a lab stack side by side, destroy per stack kind (real pulumi CLI; stand-in vsphere/command plugins)", function () {
    this.timeout(900_000);
    let site: AirgapSite;
    let labGuest: SiteGuest & { stop(): Promise<void> };
    let session: PulumiSession;
    let project: string;

    const pulumi = (stack: string, args: string[], input?: string): Promise<CliResult> => session.run([...args, "--stack", stack], { cwd: project, input });
    const fetchVersions = async (guest: SiteGuest) => (await fetch(`http://${guest.address}/roar/nickfury/versions.yaml`)).status;

    before(async function () {
        requireToolchain(this);
        site = await startSite();
        labGuest = await startGuest(site.dir);
        session = new PulumiSession({ SSL_CERT_FILE: site.caBundle, NODE_EXTRA_CA_CERTS: site.caBundle, PALETTE_E2E_GOVC: path.join(GOVMOMI_BIN, "govc") });
        session.installStandIns();
        // The Quick start test runs npm ci itself; here the checkout's packages and build serve.
        project = copyWithCheckoutBuild(path.join(session.dir, "palette-airgap"));
    });

    stepsInOrder();

    after(async () => {
        await session?.cleanup();
        await labGuest?.stop();
        await site?.stop();
    });

    async function createStack(stack: string, flags: string[], secrets: Record<string, string>): Promise<void> {
        assertSucceeded(await session.run(["run", "--silent", "new-stack", "--", stack, "--non-interactive", ...flags], { cwd: project }, "npm"), `new-stack ${stack}`);
        assertSucceeded(await session.run(["stack", "init", stack], { cwd: project }), `stack init ${stack}`);
        for (const [key, value] of Object.entries(secrets)) assertSucceeded(await pulumi(stack, ["config", "set", "--secret", key], value), `config set ${key}`);
        assertSucceeded(await pulumi(stack, ["up", "--yes"]), `pulumi up ${stack}`);
    }

    it("both stacks come up, each with its own folder, template, VM and state", async () => {
        await createStack(PROD, withFlags(site.newStackFlags(PROD), { lifecycle: "production", templateFolder: "spectro-templates-prod" }), site.secrets);
        const labFlags = withFlags(
            site.newStackFlags(LAB, labGuest),
            {
                registryKind: "generic",
                registryEndpoint: site.packs.registry.endpoint,
                registryUsername: site.packs.registry.username,
                registryCaFile: site.packs.registry.caFile,
                packBase: "lab-packs",
                imageBase: "lab-images",
            },
            ["imageRegistryEndpoint", "imageRegistryUsername", "imageRegistryCaFile"],
        );
        await createStack(LAB, labFlags, { vspherePassword: site.vcsim.password, registryPassword: site.packs.registry.password, fileServerSshPrivateKey: labGuest.privateKey });
        assert.ok(site.govc(["ls", "/DC0/vm/spectro-templates-prod"]).includes("/r_u-2204-0-k-12510-0"));
        assert.ok(site.govc(["ls", "/DC0/vm/spectro-templates"]).includes("/r_u-2204-0-k-12510-0"));
        assert.strictEqual(await fetchVersions(site.guest), 200);
        assert.strictEqual(await fetchVersions(labGuest), 200);
        assert.ok((await site.packs.registry.catalog()).some((repo) => repo.startsWith("lab-packs/")), "the lab stack pushed nothing to the generic registry");
        const stacks = fs.readdirSync(path.join(session.stateDir, ".pulumi", "stacks", "palette-airgap")).filter((file) => file.endsWith(".json")).sort();
        assert.deepStrictEqual(stacks, [`${LAB}.json`, `${PROD}.json`]);
    });

    it("the lab stack's destroy removes all of it and leaves the production stack untouched (its preview --refresh stays clean)", async () => {
        assertSucceeded(await pulumi(LAB, ["destroy", "--yes"]), "destroy lab");
        const vms = site.govc(["ls", "/DC0/vm"]);
        assert.doesNotMatch(vms, /\/spectro-templates$/m, "the lab templates folder is still there");
        assert.doesNotMatch(vms, new RegExp(`palette-manifests-${LAB}`));
        assert.strictEqual(await fetchVersions(labGuest), 404);
        assert.match(vms, new RegExp(`palette-manifests-${PROD}`));
        assert.strictEqual(await fetchVersions(site.guest), 200);
        assert.ok(site.packs.harbor.project("spectro-packs") && site.images.harbor.project("spectro-images"));
        assertSucceeded(await pulumi(PROD, ["preview", "--refresh", "--expect-no-changes"]), "preview --refresh of the production stack after the lab's destroy");
    });

    it("the production stack's destroy is refused by protect, and the README's way out (lifecycle lab, up, destroy) removes it", async () => {
        const refused = await pulumi(PROD, ["destroy", "--yes"]);
        assert.notStrictEqual(refused.code, 0, `destroy of a production stack succeeded:\n${refused.output}`);
        assert.match(refused.output, /protect/i);
        assert.ok(site.govc(["ls", "/DC0/vm/spectro-templates-prod"]).includes("/r_u-2204-0-k-12510-0"), "the protected template was deleted");
        assert.ok(site.packs.harbor.project("spectro-packs"), "the protected project was deleted");

        assertSucceeded(await pulumi(PROD, ["config", "set", "lifecycle", "lab"]), "config set lifecycle lab");
        assertSucceeded(await pulumi(PROD, ["up", "--yes"]), "up (protection lifted)");
        assertSucceeded(await pulumi(PROD, ["destroy", "--yes"]), "destroy after the way out");
        assert.doesNotMatch(site.govc(["ls", "/DC0/vm"]), /spectro-templates-prod|palette-manifests-/);
        assert.strictEqual(site.packs.harbor.project("spectro-packs"), undefined);
        assert.strictEqual(site.images.harbor.project("spectro-images"), undefined);
        assert.strictEqual(await fetchVersions(site.guest), 404);
    });
});
