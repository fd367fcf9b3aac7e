/**
 * Each stack file of stacks/, run through the real program under the SDK's mock engine (the
 * Pulumi CLI cannot run here): its resource graph, its outputs, and its secrets.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    MOCK_AWS_ACCOUNT, MOCK_ECR_PUBLIC_ALIAS, MOCK_SETUP_RESULT, PROJECT_ROOT, StackRun, TEST_SECRETS, findResource, readStackConfig, resourceGraph, runStack, stackNames,
} from "../support/stackHarness";
import { withoutSecrets } from "../support/secretWire";

const SNAPSHOT_DIR = path.join(PROJECT_ROOT, "tests", "snapshots");

/**
 * Golden resource graph (type + name + parent) per stack: a change here changes URNs, which
 * Pulumi turns into replacements, so it must show up in review. `UPDATE_SNAPSHOTS=1` rewrites.
 */
function assertGraphSnapshot(stack: string, run: StackRun): void {
    const file = path.join(SNAPSHOT_DIR, `${stack}.graph.json`);
    const graph = resourceGraph(run);
    if (process.env.UPDATE_SNAPSHOTS === "1") {
        fs.mkdirSync(SNAPSHOT_DIR, { recursive: true });
        fs.writeFileSync(file, JSON.stringify(graph, null, 2) + "\n");
    }
    assert.ok(fs.existsSync(file), `no snapshot ${file}; run UPDATE_SNAPSHOTS=1 npm run test:unit and review it`);
    assert.deepStrictEqual(graph, JSON.parse(fs.readFileSync(file, "utf8")), `resource graph of ${stack} changed (URNs change: resources would be replaced)`);
}

describe("stack files (program under the SDK's mock engine)", () => {
    it("stacks/ holds the harbor-lab and ecr-prod stacks", () => {
        assert.ok(stackNames().includes("harbor-lab") && stackNames().includes("ecr-prod"), stackNames().join(", "));
    });

    for (const stack of stackNames()) {
        describe(stack, () => {
            let run: StackRun;
            before(async () => {
                run = await runStack(stack);
            });

            it("matches its golden resource graph", () => assertGraphSnapshot(stack, run));

            it("parents every resource under the AirgapEnvironment component", () => {
                const [top] = findResource(run, "palette-airgap:index:AirgapEnvironment");
                assert.ok(top, "no AirgapEnvironment");
                const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
                for (const resource of run.resources.filter((candidate) => candidate !== top)) {
                    let ancestor = resource.parent ? byUrn.get(resource.parent) : undefined;
                    while (ancestor && ancestor !== top) {
                        ancestor = ancestor.parent ? byUrn.get(ancestor.parent) : undefined;
                    }
                    assert.strictEqual(ancestor, top, `${resource.type} ${resource.name} is not under the AirgapEnvironment`);
                }
            });

            it("creates the VM-and-Template folder through the explicit vSphere provider", () => {
                const [provider] = findResource(run, "pulumi:providers:vsphere");
                const [folder] = findResource(run, "vsphere:index/folder:Folder");
                assert.strictEqual(folder.inputs.type, "vm");
                assert.strictEqual(folder.inputs.datacenterId, "datacenter-3");
                assert.ok(folder.provider?.startsWith(provider.urn), `folder provider ${folder.provider} is not ${provider.urn}`);
                const datacenter = run.invokes.find((invoke) => invoke.token === "vsphere:index/getDatacenter:getDatacenter");
                assert.strictEqual(run.outputs.templateFolder, `/${datacenter?.args.name}/vm/${folder.inputs.path}`);
            });

            it("sends the vSphere password only as a secret", () => {
                const [provider] = findResource(run, "pulumi:providers:vsphere");
                assert.deepStrictEqual(provider.secretPaths, ["password"]);
                assert.strictEqual(provider.inputs.password, TEST_SECRETS.vspherePassword);
            });

            it("has no secret value in plain text in any resource input or output", () => {
                const secretValues = Object.values(TEST_SECRETS);
                for (const resource of run.resources) {
                    const plainParts = JSON.stringify(withoutSecrets(resource.wireInputs));
                    for (const secret of secretValues) {
                        assert.ok(!plainParts.includes(secret), `${resource.type} ${resource.name} holds a secret in plain text`);
                    }
                }
                // A stack output may hold a secret only when the output itself is secret (encrypted in state).
                for (const [name, value] of Object.entries(run.outputs).filter(([name]) => !run.secretOutputs.includes(name))) {
                    for (const secret of secretValues) {
                        assert.ok(!JSON.stringify(value ?? null).includes(secret), `stack output ${name} holds a secret in plain text`);
                    }
                }
            });

            it("exports the template name, its path and the folder Palette asks for", () => {
                assert.strictEqual(run.outputs.templateName, "r_u-2204-0-k-12510-0");
                assert.match(String(run.outputs.templateFolder), /^\/[^/]+\/vm\/.+/);
                assert.strictEqual(run.outputs.templatePath, `${run.outputs.templateFolder}/r_u-2204-0-k-12510-0`);
            });

            it("imports the OVA after the folder exists through the plugin's custom resource, with the secret password and no code in the state", () => {
                const [component] = findResource(run, "palette-airgap:vsphere:OvaTemplate");
                const [imported] = findResource(run, "palette-airgap:vsphere:OvaTemplateImport");
                const [folder] = findResource(run, "vsphere:index/folder:Folder");
                assert.strictEqual(imported.parent, component.urn);
                assert.strictEqual(imported.inputs.folderPath, folder.inputs.path);
                assert.strictEqual(imported.inputs.templateName, "r_u-2204-0-k-12510-0");
                assert.strictEqual(imported.inputs.markAsTemplate, true);
                assert.deepStrictEqual(imported.secretPaths, ["password"]);
                assert.deepStrictEqual(imported.additionalSecretOutputs, ["password", "sourceAuthorization"], "the password and the mirror's credentials must be stored as secrets");
                assert.strictEqual(imported.custom, true);
                const pluginResources = run.resources.filter((resource) => resource.type.startsWith("palette-airgap:") && resource.custom);
                const expected = ["palette-airgap:validate:ValidationRun", "palette-airgap:vsphere:OvaTemplateImport"];
                if (readStackConfig(stack).registryKind === "harbor") expected.unshift("palette-airgap:registry:HarborProject");
                assert.deepStrictEqual([...new Set(pluginResources.map((resource) => resource.type))].sort(), expected);
                for (const resource of run.resources) {
                    assert.ok(!("__provider" in resource.inputs), `${resource.type} ${resource.name} carries code in its inputs`);
                    assert.ok(!resource.type.startsWith("pulumi-nodejs:dynamic"), `${resource.type} is a dynamic resource`);
                }
            });

            it("declares the same graph in preview", async () => {
                const preview = await runStack(stack, { preview: true });
                assert.deepStrictEqual(resourceGraph(preview), resourceGraph(run));
            });
        });
    }

    it("harbor-lab: setup variables point at the Harbor endpoint with the default bases", async () => {
        const run = await runStack("harbor-lab");
        assert.deepStrictEqual(run.outputs.setupEnvironment, {
            OCI_IMAGE_REGISTRY: "harbor.lab.internal",
            OCI_IMAGE_BASE: "spectro-images",
            OCI_PACK_REGISTRY: "harbor.lab.internal",
            OCI_PACK_BASE: "spectro-packs",
        });
        assert.deepStrictEqual(run.outputs.registry, {
            kind: "harbor", packRegistry: "harbor.lab.internal", packBase: "spectro-packs", imageKind: "harbor", imageRegistry: "harbor.lab.internal", imageBase: "spectro-images",
            insecure: false, caFile: "/etc/pki/palette/harbor-ca.crt", imageInsecure: false, imageCaFile: "/etc/pki/palette/harbor-ca.crt",
        });
        const projects = findResource(run, "palette-airgap:registry:HarborProject");
        assert.deepStrictEqual(projects.map((project) => [project.inputs.projectName, project.inputs.public]).sort(), [["spectro-images", true], ["spectro-packs", false]]);
        for (const project of projects) {
            assert.deepStrictEqual(project.secretPaths, ["password"]);
            assert.deepStrictEqual(project.additionalSecretOutputs, ["password"]);
        }
    });

    it("split-registries: the seed's two hosts give exactly the seed's four OCI_* values; each registry keeps its own settings", async () => {
        const run = await runStack("split-registries");
        assert.deepStrictEqual(run.outputs.setupEnvironment, {
            OCI_IMAGE_REGISTRY: "example.internal.com",
            OCI_PACK_BASE: "spectro-packs",
            OCI_PACK_REGISTRY: "10.10.100.48",
            OCI_IMAGE_BASE: "spectro-images",
        });
        assert.deepStrictEqual(run.outputs.registry, {
            kind: "harbor", packRegistry: "10.10.100.48", packBase: "spectro-packs", imageKind: "harbor", imageRegistry: "example.internal.com", imageBase: "spectro-images",
            insecure: false, caFile: "/etc/pki/palette/packs-harbor-ca.crt", imageInsecure: false, imageCaFile: "/etc/pki/palette/images-harbor-ca.crt",
        });
        // One Harbor project on each Harbor, with that Harbor's user, password and CA.
        const projects = findResource(run, "palette-airgap:registry:HarborProject");
        assert.deepStrictEqual(
            projects.map((p) => [p.inputs.projectName, p.inputs.public, p.inputs.endpoint, p.inputs.username, p.inputs.caFile, p.inputs.password]).sort(),
            [
                ["spectro-images", true, "example.internal.com", "robot$palette-images", "/etc/pki/palette/images-harbor-ca.crt", TEST_SECRETS.imageRegistryPassword],
                ["spectro-packs", false, "10.10.100.48", "admin", "/etc/pki/palette/packs-harbor-ca.crt", TEST_SECRETS.registryPassword],
            ],
        );
        for (const project of projects) {
            assert.deepStrictEqual(project.secretPaths, ["password"]);
        }
        // Every run gets both passwords, each as a secret under its own variable (the copy of the zip gets none).
        for (const command of findResource(run, "command:local:Command").filter((c) => c.name !== "palette-fileserver-copy")) {
            const environment = command.inputs.environment as Record<string, string>;
            assert.strictEqual(environment.PALETTE_AIRGAP_REGISTRY_PASSWORD, TEST_SECRETS.registryPassword, command.name);
            assert.strictEqual(environment.PALETTE_AIRGAP_IMAGE_REGISTRY_PASSWORD, TEST_SECRETS.imageRegistryPassword, command.name);
            assert.deepStrictEqual(
                command.secretPaths.filter((secretPath) => secretPath.startsWith("environment")).sort(),
                ["environment.PALETTE_AIRGAP_IMAGE_REGISTRY_PASSWORD", "environment.PALETTE_AIRGAP_REGISTRY_PASSWORD"],
                command.name,
            );
        }
        // The validation checks each base on its own registry.
        const [validation] = findResource(run, "palette-airgap:validate:ValidationRun");
        assert.deepStrictEqual(validation.secretPaths.sort(), ["imageRegistryPassword", "registryPassword", "vspherePassword"]);
        assert.strictEqual(validation.inputs.registryEndpoint, "10.10.100.48");
        assert.strictEqual(validation.inputs.imageRegistryEndpoint, "example.internal.com");
        assert.strictEqual(validation.inputs.imageRegistryCaFile, "/etc/pki/palette/images-harbor-ca.crt");
        // paletteCli: each registry's own answers.
        const answers = run.outputs.paletteCli as Record<string, any>;
        assert.deepStrictEqual(answers.packs, {
            name: "spectro-packs", endpoint: "10.10.100.48", basePath: "spectro-packs", username: "admin", password: TEST_SECRETS.registryPassword,
            insecure: false, caCertificatePath: "/etc/pki/palette/packs-harbor-ca.crt",
        });
        assert.deepStrictEqual(answers.images, {
            name: "spectro-images", endpoint: "example.internal.com", basePath: "spectro-images", username: "robot$palette-images", password: TEST_SECRETS.imageRegistryPassword,
            insecure: false, caCertificatePath: "/etc/pki/palette/images-harbor-ca.crt",
        });
        assert.ok(run.secretOutputs.includes("paletteCli"));
    });

    it("harbor-lab: the setup run gets the registry password only as a secret, then one run per pack after it", async () => {
        const run = await runStack("harbor-lab");
        const [copy] = findResource(run, "command:local:Command").filter((command) => command.name === "palette-fileserver-copy");
        const commands = findResource(run, "command:local:Command").filter((command) => command !== copy);
        assert.deepStrictEqual(commands.map((command) => command.name).sort(), [
            "pack-cni-calico-3.26.0", "pack-csi-vsphere-csi-3.0.2", "pack-kubernetes-1.27.1", "palette-setup-run",
        ]);
        // The bounded copy of the zip to the file server: the SSH key only in its secret environment, no registry password.
        assert.deepStrictEqual(copy.inputs.environment, { PALETTE_AIRGAP_SSH_PRIVATE_KEY: TEST_SECRETS.fileServerSshPrivateKey });
        assert.deepStrictEqual(copy.secretPaths, ["environment.PALETTE_AIRGAP_SSH_PRIVATE_KEY"]);
        assert.ok(!String(copy.inputs.create).includes(TEST_SECRETS.fileServerSshPrivateKey.trim().split("\n")[1] ?? TEST_SECRETS.fileServerSshPrivateKey));
        for (const command of commands) {
            assert.ok(command.secretPaths.some((secretPath) => secretPath.startsWith("environment")), `${command.name}: password not secret`);
            assert.ok(!String(command.inputs.create).includes(TEST_SECRETS.registryPassword), `${command.name}: password in the script`);
        }
        assert.deepStrictEqual(run.outputs.manifestsZip, MOCK_SETUP_RESULT.manifestsZip);
        assert.strictEqual(run.outputs.paletteVersion, MOCK_SETUP_RESULT.version);
    });

    it("ecr-prod: nested template folder; packs in private ECR, images in ECR Public, each base in its own variable", async () => {
        const run = await runStack("ecr-prod");
        assert.strictEqual(run.outputs.templateFolder, "/dc-prod-01/vm/palette/spectro-templates");
        assert.deepStrictEqual(run.outputs.setupEnvironment, {
            ECR_IMAGE_REGISTRY: `public.ecr.aws/${MOCK_ECR_PUBLIC_ALIAS}`,
            ECR_IMAGE_BASE: "spectro-images",
            ECR_IMAGE_REGISTRY_REGION: "us-east-1",
            ECR_PACK_REGISTRY: `${MOCK_AWS_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`,
            ECR_PACK_BASE: "spectro-packs",
            ECR_PACK_REGISTRY_REGION: "us-west-2",
        });
        const [template] = findResource(run, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
        assert.deepStrictEqual(template.inputs.appliedFors, ["CREATE_ON_PUSH"]);
        const [publicProvider] = findResource(run, "pulumi:providers:aws");
        assert.strictEqual(publicProvider.inputs.region, "us-east-1");
    });

    it("ecr-prod: thick disks, the pinned OVA sha256 and the resource pool reach the OVA import", async () => {
        const run = await runStack("ecr-prod");
        const [imported] = findResource(run, "palette-airgap:vsphere:OvaTemplateImport");
        assert.strictEqual(imported.inputs.diskProvisioning, "thick");
        assert.strictEqual(imported.inputs.expectedSha256, "6a0d6a85d4e7a3a1c3e1b3f0a2f4b7c9d8e1f2a3b4c5d6e7f8091a2b3c4d5e6f");
        assert.strictEqual(imported.inputs.resourcePool, "cluster-prod/Resources/palette");
        assert.strictEqual(imported.inputs.cluster, undefined);
        assert.strictEqual(imported.inputs.caFile, "/etc/pki/palette/vcenter-ca.pem");
    });

    it("each stack serves the manifests at the SCAR URL Palette asks for: static IP, HTTPS with TLS, or the Docker host", async () => {
        const expected: Record<string, string> = {
            "harbor-lab": "http://10.10.100.50:80",
            "ecr-prod": "https://172.20.8.40:443",
            "generic-dev": "http://docker01.dev.example.internal:8080",
        };
        for (const [stack, url] of Object.entries(expected)) {
            const run = await runStack(stack);
            assert.strictEqual(run.outputs.scarUrl, url, stack);
            const [publish] = findResource(run, "command:remote:Command");
            assert.ok(String(publish.inputs.create).includes("roar/nickfury/versions.yaml"), `${stack}: the publish script checks the manifests layout`);
            const zipSha256 = require("crypto").createHash("sha256").update("stand-in manifests zip").digest("hex");
            assert.strictEqual((publish.inputs.triggers as unknown[])[0], zipSha256, `${stack}: republishing is triggered by the zip's sha256`);
        }
    });

    it("paletteCli answers the installer's prompts, and is a secret output exactly when it holds the registry password (as the README says)", async () => {
        const harbor = await runStack("harbor-lab");
        const answers = harbor.outputs.paletteCli as Record<string, any>;
        assert.strictEqual(answers.registryType, "OCI");
        assert.deepStrictEqual(answers.scar, { url: "http://10.10.100.50:80", username: "admin", password: "admin" });
        assert.strictEqual(answers.packs.endpoint, "harbor.lab.internal");
        assert.strictEqual(answers.packs.basePath, "spectro-packs");
        assert.strictEqual(answers.images.basePath, "spectro-images");
        assert.strictEqual(answers.packs.password, TEST_SECRETS.registryPassword);
        assert.strictEqual(answers.packs.caCertificatePath, "/etc/pki/palette/harbor-ca.crt");
        assert.strictEqual(answers.imageTemplateFolder, "/dc-lab/vm/spectro-templates");
        assert.ok(harbor.secretOutputs.includes("paletteCli"), "paletteCli must be secret");
        const ecr = await runStack("ecr-prod");
        assert.strictEqual((ecr.outputs.paletteCli as Record<string, any>).registryType, "OCI ECR");
        assert.strictEqual((ecr.outputs.paletteCli as Record<string, any>).packs.region, "us-west-2");
        // ECR's answers hold no password (the installer takes an IAM user's keys, not managed here): a plain output.
        assert.ok(!ecr.secretOutputs.includes("paletteCli"), "an ECR stack's paletteCli holds no secret and is plain");
        assert.ok(!JSON.stringify(ecr.outputs.paletteCli).includes(TEST_SECRETS.vspherePassword));
        const generic = await runStack("generic-dev");
        assert.ok(generic.secretOutputs.includes("paletteCli"), "a generic registry's password makes paletteCli secret");
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
        assert.match(readme, /^\| `paletteCli` \| [^|\n]*secret when it holds a registry password \(Harbor, generic\); plain on ECR[^|\n]* \|/m);
    });

    it("the validation runs after everything it checks, with the passwords secret", async () => {
        const run = await runStack("harbor-lab");
        const [validation] = findResource(run, "palette-airgap:validate:ValidationRun");
        assert.deepStrictEqual(validation.secretPaths.sort(), ["registryPassword", "vspherePassword"]);
        assert.strictEqual(validation.inputs.scarUrl, "http://10.10.100.50:80");
        assert.deepStrictEqual(run.outputs.validation, ["ok   mock: the checks run against real services in tests/validate"]);
    });

    it("a templateName override replaces the derived name", async () => {
        const run = await runStack("harbor-lab", { overrides: { templateName: "r_ubuntu-k8s-1.27" } });
        assert.strictEqual(run.outputs.templateName, "r_ubuntu-k8s-1.27");
    });
});
