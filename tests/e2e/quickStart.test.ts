/**
 * The README's Quick start, run literally by the real Pulumi CLI (built from Go modules by
 * scripts/pulumi-toolchain.sh), then the life of that stack as its user lives it: the second
 * `up` that changes nothing, drift made behind Pulumi's back and repaired, a change of config,
 * and the lab stack's destroy. One user's session: the steps run in order, each on the state the
 * one before left. Everything the stack touches is a real local service (tests/e2e/support/
 * airgapSite.ts); the vSphere and Command plugins are stand-ins (tests/e2e/standins), because
 * their Go modules are not served here.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { startSite, type AirgapSite } from "./support/airgapSite";
import { freshCopy, npmCiOffline, secretCommands } from "./support/project";
import { GOVMOMI_BIN } from "../support/vcsim";
import { assertSucceeded, PulumiSession, requireToolchain, type CliResult, stepsInOrder } from "./support/pulumiCli";

const STACK = "site-e2e";
const TEMPLATE = "r_u-2204-0-k-12510-0";

describe("e2e: README Quick start and a stack's life under the real pulumi CLI (stand-in vsphere/command plugins: their modules are not served here)", function () {
    this.timeout(900_000);
    let site: AirgapSite;
    let session: PulumiSession;
    let project: string;

    const pulumi = (args: string[], input?: string): Promise<CliResult> => session.run(args, { cwd: project, input });
    const stateFile = () => path.join(session.stateDir, ".pulumi", "stacks", "palette-airgap", `${STACK}.json`);
    const outputs = async (): Promise<Record<string, any>> => {
        const result = await pulumi(["stack", "output", "--json", "--show-secrets", "--stack", STACK]);
        assertSucceeded(result, "pulumi stack output");
        return JSON.parse(result.stdout);
    };
    const fetchVersions = async (): Promise<string> => {
        const response = await fetch(`http://${site.guest.address}/roar/nickfury/versions.yaml`);
        return `${response.status} ${await response.text()}`;
    };

    before(async function () {
        requireToolchain(this);
        site = await startSite();
        session = new PulumiSession({
            SSL_CERT_FILE: site.caBundle,
            NODE_EXTRA_CA_CERTS: site.caBundle,
            PALETTE_E2E_GOVC: path.join(GOVMOMI_BIN, "govc"),
        });
        session.installStandIns();
        project = freshCopy(path.join(session.dir, "palette-airgap"));
    });

    stepsInOrder();

    after(async () => {
        await session?.cleanup();
        await site?.stop();
    });

    it("npm ci, new-stack --non-interactive and the printed secret commands make a stack that previews", async () => {
        npmCiOffline(project);
        const generated = await session.run(["run", "--silent", "new-stack", "--", STACK, "--non-interactive", ...site.newStackFlags(STACK)], { cwd: project }, "npm");
        assertSucceeded(generated, "npm run new-stack");
        const commands = secretCommands(generated.stdout);
        assert.deepStrictEqual(commands.map((c) => c.key).sort(), ["fileServerSshPrivateKey", "imageRegistryPassword", "registryPassword", "vspherePassword"]);

        assertSucceeded(await pulumi(["stack", "select", "--create", STACK]), "pulumi stack select --create");
        for (const { key } of commands) {
            // As typed at the prompt (or redirected from the key file): on stdin, never on the command line.
            assertSucceeded(await pulumi(["config", "set", "--stack", STACK, "--secret", key], site.secrets[key]), `pulumi config set --secret ${key}`);
        }
        const stackFile = fs.readFileSync(path.join(project, "stacks", `Pulumi.${STACK}.yaml`), "utf8");
        for (const secret of Object.values(site.secrets)) assert.ok(!stackFile.includes(secret.trim().split("\n")[1] ?? secret), "a secret is in the stack file in plain text");

        const preview = await pulumi(["preview", "--stack", STACK]);
        assertSucceeded(preview, "pulumi preview");
        for (const type of ["palette-airgap:index:AirgapEnvironment", "palette-airgap:vsphere:OvaTemplateImport", "palette-airgap:registry:HarborProject", "vsphere:index:Folder", "vsphere:index:VirtualMachine", "command:local:Command", "command:remote:Command"]) {
            assert.match(preview.stdout, new RegExp(`\\+ +${type.replace(/[/$]/g, "\\$&")}`), `preview does not create ${type}:\n${preview.stdout}`);
        }
    });

    it("./scripts/up.sh creates everything: template, Harbor projects, pushed content, published manifests, outputs for palette ec install", async () => {
        const up = await session.run([STACK, "--yes"], { cwd: project }, path.join(project, "scripts", "up.sh"));
        assertSucceeded(up, "./scripts/up.sh");
        const out = await outputs();
        assert.strictEqual(out.templateName, TEMPLATE);
        assert.strictEqual(out.templateFolder, "/DC0/vm/spectro-templates");
        assert.strictEqual(out.scarUrl, `http://${site.guest.address}:80`);
        const template = JSON.parse(site.govc(["object.collect", "-json", `/DC0/vm/spectro-templates/${TEMPLATE}`, "config.template"]));
        assert.strictEqual(JSON.stringify(template).includes("true"), true, "the imported VM is not a template");
        assert.strictEqual(site.packs.harbor.project("spectro-packs")?.public, false);
        assert.strictEqual(site.images.harbor.project("spectro-images")?.public, true);
        assert.ok((await site.packs.registry.catalog()).some((repo) => repo.startsWith("spectro-packs/")), "no pack pushed to the packs registry");
        assert.ok((await site.images.registry.catalog()).some((repo) => repo.startsWith("spectro-images/")), "no image pushed to the images registry");
        assert.match(await fetchVersions(), /^200 /);
        assert.match(site.guest.cloudInitCalls(), /^status --wait/m, "the publish did not wait for the guest's cloud-init");
        assert.ok(site.govc(["ls", "/DC0/vm"]).includes(`palette-manifests-${STACK}`), "no file-server VM in vcsim");
        // Secrets: not in the CLI's output, not in plain state.
        const state = fs.readFileSync(stateFile(), "utf8");
        for (const [key, secret] of Object.entries(site.secrets)) {
            assert.ok(!up.output.includes(secret), `${key} is in pulumi up's output`);
            assert.ok(!state.includes(secret) && !state.includes(JSON.stringify(secret).slice(1, -1)), `${key} is in the state in plain text`);
        }
    });

    it("a second up changes nothing: no upload, no binary run (--expect-no-changes)", async () => {
        const harborCalls = site.packs.harbor.requests.length;
        const catalog = await site.packs.registry.catalog();
        const again = await pulumi(["up", "--stack", STACK, "--yes", "--expect-no-changes"]);
        assertSucceeded(again, "pulumi up --expect-no-changes");
        assert.doesNotMatch(again.stdout, /Setting up Packs|Uploading|created|updated|replaced/);
        assert.deepStrictEqual(site.packs.harbor.requests.slice(harborCalls).filter((r) => r.method !== "GET" && r.method !== "HEAD"), []);
        assert.deepStrictEqual(await site.packs.registry.catalog(), catalog);
    });

    it("drift behind Pulumi's back fails preview --refresh --expect-no-changes, naming each resource and property; up --refresh repairs it", async () => {
        site.govc(["object.rename", `/DC0/vm/spectro-templates/${TEMPLATE}`, `${TEMPLATE}-renamed`]);
        site.images.harbor.setPublic("spectro-images", false);
        site.packs.harbor.removeProject("spectro-packs");
        const drifted = await pulumi(["preview", "--stack", STACK, "--refresh", "--expect-no-changes", "--diff"]);
        assert.notStrictEqual(drifted.code, 0, `preview --refresh --expect-no-changes passed despite drift:\n${drifted.output}`);
        assert.match(drifted.stdout, /OvaTemplateImport/);
        assert.match(drifted.stdout, /templateName|name/);
        assert.match(drifted.stdout, /HarborProject/);
        assert.match(drifted.stdout, /public/);

        const repaired = await pulumi(["up", "--stack", STACK, "--yes", "--refresh"]);
        assertSucceeded(repaired, "pulumi up --refresh");
        assert.strictEqual(site.images.harbor.project("spectro-images")?.public, true);
        assert.strictEqual(site.packs.harbor.project("spectro-packs")?.public, false);
        assert.ok(site.govc(["ls", "/DC0/vm/spectro-templates"]).includes(`/${TEMPLATE}`), "the template's name was not repaired");
        const clean = await pulumi(["preview", "--stack", STACK, "--refresh", "--expect-no-changes"]);
        assertSucceeded(clean, "pulumi preview --refresh --expect-no-changes after the repair");
    });

    /** The steps a preview plans, other than "same" (pulumi preview --json). */
    const plannedSteps = async (): Promise<string[]> => {
        const preview = await pulumi(["preview", "--stack", STACK, "--json"]);
        assertSucceeded(preview, "pulumi preview --json");
        const steps = (JSON.parse(preview.stdout) as { steps?: { op: string; urn: string }[] }).steps ?? [];
        return steps.filter((step) => step.op !== "same").map((step) => `${step.op} ${step.urn.split("::").slice(-2).join("::")}`).sort();
    };

    it("a change of config (another pack binary) plans and does exactly that pack's run and the re-validation", async () => {
        const harborWrites = () => site.packs.harbor.requests.filter((r) => r.method !== "GET" && r.method !== "HEAD").length;
        const writes = harborWrites();
        const packs = [...site.packBinaries, site.extraPackBinary].map((bin) => bin.path);
        assertSucceeded(await pulumi(["config", "set", "--stack", STACK, "--path", "packBinaries[1]", packs[1]]), "pulumi config set --path packBinaries[1]");
        assert.deepStrictEqual(await plannedSteps(), [
            "create palette-airgap:index:AirgapEnvironment$palette-airgap:setup:PackUploads$command:local:Command::pack-cni-calico-3.26.0",
            "update palette-airgap:index:AirgapEnvironment$palette-airgap:validate:Validation$palette-airgap:validate:ValidationRun::palette-validation",
        ]);
        const up = await pulumi(["up", "--stack", STACK, "--yes"]);
        assertSucceeded(up, "pulumi up (another pack)");
        assert.match(up.stdout, /pack-cni-calico-3\.26\.0 created/);
        assert.doesNotMatch(up.stdout, /palette-setup-run (created|updated|replaced)/);
        assert.strictEqual(harborWrites(), writes, "the Harbor projects were written to");
        assert.ok((await site.packs.registry.catalog()).some((repo) => repo.includes("cni-calico")), "the new pack was not pushed");
        assert.deepStrictEqual((await outputs()).packs.map((pack: { name: string }) => pack.name).sort(), ["cni-calico", "vault"]);
    });

    it("a change of config (another OVA) plans the template's replacement and the re-validation only, and up imports it", async () => {
        assertSucceeded(await pulumi(["config", "set", "--stack", STACK, "ovaSource", site.nextOva.path]), "pulumi config set ovaSource");
        const steps = await plannedSteps();
        assert.deepStrictEqual(
            steps.filter((step) => !/OvaTemplateImport::palette-template$/.test(step)),
            ["update palette-airgap:index:AirgapEnvironment$palette-airgap:validate:Validation$palette-airgap:validate:ValidationRun::palette-validation"],
            steps.join("\n"),
        );
        assert.ok(steps.some((step) => /^(replace|create-replacement) .*OvaTemplateImport::palette-template$/.test(step)), steps.join("\n"));
        assertSucceeded(await pulumi(["up", "--stack", STACK, "--yes"]), "pulumi up (another OVA)");
        const listed = site.govc(["ls", "/DC0/vm/spectro-templates"]);
        assert.ok(listed.includes("/r_u-2204-0-k-12610-0"), listed);
        assert.ok(!listed.includes(`/${TEMPLATE}`), `the replaced template is still there (lab): ${listed}`);
        assert.strictEqual((await outputs()).templateName, "r_u-2204-0-k-12610-0");
    });

    it("destroy of the lab stack leaves nothing in vcsim, the Harbors or the file server", async () => {
        const destroyed = await pulumi(["destroy", "--stack", STACK, "--yes"]);
        assertSucceeded(destroyed, "pulumi destroy");
        assert.doesNotMatch(site.govc(["ls", "/DC0/vm"]), /spectro-templates|palette-manifests/);
        assert.strictEqual(site.packs.harbor.project("spectro-packs"), undefined);
        assert.strictEqual(site.images.harbor.project("spectro-images"), undefined);
        assert.match(await fetchVersions(), /^404 /);
    });
});
