/**
 * Ctrl-C during the hour-long setup run, then README "Recovering a failed upload" run as written,
 * under the real Pulumi CLI: the interrupt stops the binary's whole process group, and the next
 * `pulumi up` finishes the job without importing the template again. The setup binary here
 * sleeps before its first push, so the interrupt lands while it runs. Stand-in vsphere/command
 * plugins (tests/e2e/standins).
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import { startSite, type AirgapSite } from "./support/airgapSite";
import { copyWithCheckoutBuild } from "./support/project";
import { assertSucceeded, finished, PulumiSession, requireToolchain, type CliResult, stepsInOrder } from "./support/pulumiCli";
import { GOVMOMI_BIN } from "../support/vcsim";

const STACK = "interrupted";
const TEMPLATE = "r_u-2204-0-k-12510-0";

/** Processes whose command line names `needle` (this test's own files only). */
function processesNaming(needle: string): string[] {
    const listing = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
    return listing.split("\n").filter((line) => line.includes(needle) && !line.includes("ps -eo"));
}

describe("e2e: Ctrl-C during the setup run and the README's recovery (real pulumi CLI; stand-in vsphere/command plugins)", function () {
    this.timeout(900_000);
    let site: AirgapSite;
    let session: PulumiSession;
    let project: string;
    let templateMoref = "";

    const pulumi = (args: string[], input?: string): Promise<CliResult> => session.run([...args, "--stack", STACK], { cwd: project, input });
    const templateRef = () => site.govc(["find", "-i", "/DC0/vm/spectro-templates", "-name", TEMPLATE]);

    before(async function () {
        requireToolchain(this);
        site = await startSite({ setupFaults: { sleepBeforePush: 40 } });
        session = new PulumiSession({ SSL_CERT_FILE: site.caBundle, NODE_EXTRA_CA_CERTS: site.caBundle, PALETTE_E2E_GOVC: path.join(GOVMOMI_BIN, "govc") });
        session.installStandIns();
        // The Quick start test runs npm ci itself; here the checkout's packages and build serve.
        project = copyWithCheckoutBuild(path.join(session.dir, "palette-airgap"));
        assertSucceeded(await session.run(["run", "--silent", "new-stack", "--", STACK, "--non-interactive", ...site.newStackFlags(STACK)], { cwd: project }, "npm"), "new-stack");
        assertSucceeded(await session.run(["stack", "init", STACK], { cwd: project }), "stack init");
        for (const [key, value] of Object.entries(site.secrets)) assertSucceeded(await pulumi(["config", "set", "--secret", key], value), `config set ${key}`);
    });

    stepsInOrder();

    after(async () => {
        await session?.cleanup();
        await site?.stop();
    });

    it("SIGINT while the setup binary runs: pulumi up stops, the binary's processes are gone, the imported template stays recorded", async () => {
        const up = session.start(["up", "--yes", "--stack", STACK], { cwd: project });
        const result = finished(up, 600_000);
        let seen = "";
        up.stdout!.on("data", (chunk: Buffer) => (seen += chunk.toString("utf8")));
        const deadline = Date.now() + 300_000;
        // The binary runs once its Command is being created and its extraction shows up in the work directory.
        while (!(/palette-setup-run creating/.test(seen) && processesNaming(site.setupBinary.path).length > 0)) {
            if (Date.now() > deadline || up.exitCode !== null) throw new Error(`the setup run did not start:\n${seen}`);
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
        assert.match(seen, /OvaTemplateImport palette-template created/);
        templateMoref = templateRef();
        assert.match(templateMoref, /^VirtualMachine:/);
        up.kill("SIGINT");
        const stopped = await result;
        assert.notStrictEqual(stopped.code, 0, `pulumi up succeeded despite the interrupt:\n${stopped.output}`);
        // Give the process group's SIGKILL (5 s after SIGTERM) its time, then nothing of the binary may remain.
        await new Promise((resolve) => setTimeout(resolve, 7000));
        assert.deepStrictEqual(processesNaming(site.setupBinary.path), []);
        assert.deepStrictEqual(processesNaming(path.join(site.dir, `work-${STACK}`)), []);
        const state = JSON.parse((await pulumi(["stack", "export"])).stdout) as { deployment: { resources?: { type: string }[] } };
        assert.ok(state.deployment.resources?.some((resource) => resource.type === "palette-airgap:vsphere:OvaTemplateImport"), "the finished template import is not in the state");
    });

    it("README 'Recovering a failed upload': pulumi up again finishes the job, and the template is not imported again", async () => {
        const again = await pulumi(["up", "--yes"]);
        assertSucceeded(again, "pulumi up after the interrupt");
        assert.doesNotMatch(again.stdout, /OvaTemplateImport palette-template (created|replaced)/);
        assert.strictEqual(templateRef(), templateMoref, "the template was imported again");
        assert.match(again.stdout, /palette-setup-run created/);
        const response = await fetch(`http://${site.guest.address}/roar/nickfury/versions.yaml`);
        assert.strictEqual(response.status, 200);
    });
});
