/**
 * Construct as the engine drives it: the plugin process started as the engine starts it, a
 * Construct request over gRPC, the children registered with a stand-in resource monitor that
 * records when each registration arrived, and the plugin's log messages sent to a stand-in
 * engine. What a program in another language sees:
 * - a component whose child fails late (the file server's manifests zip gone once the setup run
 *   reported it) fails with that error and registers nothing after it;
 * - the next Construct in the same plugin process gets its own result, not the failed one's error;
 * - with PALETTE_AIRGAP_SKIP_PREFLIGHT=1 the "preflight skipped" warning reaches the engine's log.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FakeMonitor } from "../support/fakeMonitor";
import { PluginProcess } from "../support/plugin";
import { wireSecret } from "../support/secretWire";

const AIRGAP_ENVIRONMENT = "palette-airgap:index:AirgapEnvironment";
const TEMPLATES_FOLDER = "palette-airgap:vsphere:TemplatesFolder";
/** The engine's LogSeverity.WARNING. */
const WARNING = 2;
/** Long enough for every registration the plugin still had pending to arrive (they take milliseconds here). */
const QUIET_MS = 1500;

/** AirgapEnvironment's inputs (stack config keys): a generic registry (nothing created there), the file server as a VM. */
function environmentInputs(dir: string): Record<string, unknown> {
    return {
        vsphereServer: "vc.lab.internal", vsphereUser: "palette@vsphere.local", vspherePassword: wireSecret("vc-Pa55-CONSTRUCT"),
        datacenter: "dc-lab", cluster: "cluster-a", datastore: "ds1", network: "VM Network", ovaSource: "/srv/ova/u-2204-0-k-12510-0.ova",
        registryKind: "generic", registryEndpoint: "registry.lab.internal:5000", registryUsername: "palette", registryPassword: wireSecret("reg-Pa55-CONSTRUCT"),
        setupBinary: path.join(dir, "airgap-v4.2.13.bin"), workDir: dir,
        fileServerMode: "vm", fileServerTemplate: "ubuntu-2204-cloudinit", fileServerIp: "10.10.100.50/24", fileServerGateway: "10.10.100.1", fileServerDns: ["10.10.100.2"],
        fileServerSshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHm0rW4N9mdcQBYBmOXZ5i1wE0cQpVZbkG4tJYb0tqQ3 ops@lab",
        fileServerSshPrivateKey: wireSecret("-----BEGIN OPENSSH PRIVATE KEY-----\nSSH-KEY-CONSTRUCT\n-----END OPENSSH PRIVATE KEY-----"),
    };
}

/** What the providers would answer: the setup run reports `manifestsZip`, the VM its address, the OVA import and the checks their outputs. */
function providerOutputs(manifestsZip: string) {
    return (type: string, _name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined => {
        switch (type) {
            case "command:local:Command":
            case "command:remote:Command":
                return { stdout: `Setup Completed\nPALETTE_AIRGAP_RESULT ${JSON.stringify({ manifestsZip, version: "4.2.13", attempts: 1 })}\n`, stderr: "" };
            case "vsphere:index/virtualMachine:VirtualMachine":
                return { defaultIpAddress: "10.10.100.50", moid: "vm-501" };
            case "palette-airgap:vsphere:OvaTemplateImport":
                return { moid: "vm-42", inventoryPath: `/dc-lab/vm/spectro-templates/${inputs.templateName}`, ovaSha256: "0".repeat(64), observedName: inputs.templateName };
            case "palette-airgap:validate:ValidationRun":
                return { report: ["ok   manifests: stand-in"], passed: true };
            default:
                return undefined;
        }
    };
}

describe("provider plugin: Construct over gRPC, against a stand-in resource monitor and engine", function () {
    this.timeout(60_000);
    let dir: string;

    before(function () {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "construct-grpc-"));
        fs.writeFileSync(path.join(dir, "airgap-v4.2.13.bin"), "#!/bin/sh\necho Setup Completed\n", { mode: 0o755 });
    });

    after(function () {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("a child that fails late", function () {
        let plugin: PluginProcess;
        let monitor: FakeMonitor;

        before(async function () {
            monitor = await FakeMonitor.start({
                outputs: providerOutputs(path.join(dir, "spectro-manifests-gone.zip")),
                // The vSphere lookups answer late, as a real vCenter does: the file-server VM waits for them.
                delayMs: (call, typeOrToken, name) => (call === "invoke" ? 400 : name === "after-the-failure" && typeOrToken === "vsphere:index/folder:Folder" ? 1500 : 0),
            });
            plugin = await PluginProcess.start({ env: { PATH: process.env.PATH, HOME: process.env.HOME, PALETTE_AIRGAP_SKIP_PREFLIGHT: "1" } });
        });

        after(async function () {
            await plugin?.stop();
            await monitor?.stop();
        });

        it("AirgapEnvironment whose manifests zip is gone fails with that error and registers nothing after it (not the file-server VM)", async function () {
            let answeredAt = 0;
            await assert.rejects(
                plugin.construct(AIRGAP_ENVIRONMENT, "palette", environmentInputs(dir), monitor.address).finally(() => (answeredAt = Date.now())),
                /ManifestFileServer palette-fileserver: the manifests zip .*spectro-manifests-gone\.zip is gone from this machine/,
            );
            await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
            const late = monitor.registeredAfter(answeredAt).map((registration) => `${registration.type} ${registration.name}`);
            assert.deepStrictEqual(late, [], "registered after the Construct had answered with its error");
            assert.ok(!monitor.registrations.some((registration) => registration.type === "vsphere:index/virtualMachine:VirtualMachine"), "the file-server VM was registered");
            assert.ok(plugin.alive);
        });

        it("the next Construct in the same process, running while the failed one's leftovers settle, gets its own result", async function () {
            const failed = plugin.construct(AIRGAP_ENVIRONMENT, "again", environmentInputs(dir), monitor.address);
            await assert.rejects(failed, /the manifests zip .* is gone/);
            // Started at once: the failed Construct's leftovers (its lookups answer 400 ms later) settle while this one waits for its folder.
            const { result } = await plugin.construct(TEMPLATES_FOLDER, "after-the-failure", { datacenter: "dc-lab" }, monitor.address);
            assert.strictEqual(result.urn, `urn:pulumi:test::palette-airgap::${TEMPLATES_FOLDER}::after-the-failure`);
            assert.strictEqual(result.state.inventoryPath, "/dc-lab/vm/spectro-templates");
            assert.ok(!monitor.registrations.some((registration) => registration.name.startsWith("again-fileserver-vm")), "the failed Construct's VM was registered");
        });
    });

    describe("log messages of a component", function () {
        let plugin: PluginProcess;
        let monitor: FakeMonitor;

        before(async function () {
            const zip = path.join(dir, "spectro-manifests-1732550000.zip");
            fs.writeFileSync(zip, "stand-in manifests zip");
            monitor = await FakeMonitor.start({ outputs: providerOutputs(zip) });
            plugin = await PluginProcess.start({ env: { PATH: process.env.PATH, HOME: process.env.HOME, PALETTE_AIRGAP_SKIP_PREFLIGHT: "1" } });
        });

        after(async function () {
            await plugin?.stop();
            await monitor?.stop();
        });

        it("PALETTE_AIRGAP_SKIP_PREFLIGHT=1: AirgapEnvironment's Construct sends the engine a warning naming the skipped checks and how to turn them back on", async function () {
            const { result } = await plugin.construct(AIRGAP_ENVIRONMENT, "palette", environmentInputs(dir), monitor.address);
            assert.strictEqual(result.urn, `urn:pulumi:test::palette-airgap::${AIRGAP_ENVIRONMENT}::palette`);
            const warnings = plugin.engine.logs.filter((log) => log.severity === WARNING).map((log) => log.message);
            assert.deepStrictEqual(
                warnings.filter((message) => message.startsWith("preflight skipped")),
                ["preflight skipped (PALETTE_AIRGAP_SKIP_PREFLIGHT=1): tools, disk space, binaries and registry were not checked; unset PALETTE_AIRGAP_SKIP_PREFLIGHT (or set it to 0) to run them again"],
            );
        });
    });
});
