/**
 * Images and packs on two registries (issue 12), with real parts: two docker-registry instances on
 * 127.0.0.1, each with its own self-signed CA and its own user. OciRegistry, AirgapSetup and
 * PackUploads are declared under the SDK's mock engine; the mock provider of command.local.Command
 * runs each registered script with bash, as pulumi-command does, so a makeself setup binary and a
 * pack binary push from the documented OCI_* variables after the run's own logins. Then the
 * preflight and the validation checks run against the same two registries.
 *
 * Debian packages: docker-registry, apache2-utils, openssl, skopeo, makeself, zip, unzip, jq.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { OciRegistrySettings, SetupSettings } from "../../components/config";
import { parsePackBinary } from "../../components/names";
import { OciRegistry } from "../../components/registry/ociRegistry";
import { harborProjectProvider } from "../../components/registry/harborProjectProvider";
import { AirgapSetup } from "../../components/setup/airgapSetup";
import { IMAGE_REGISTRY_PASSWORD_ENV, REGISTRY_PASSWORD_ENV } from "../../components/setup/binaryCommand";
import { PackUploads } from "../../components/setup/packUploads";
import { preflightProblems } from "../../components/setup/preflight";
import { validate } from "../../components/validate/validationProvider";
import { validationRegistry } from "../../components/validate/validation";
import { RunRecord, executingMock, skipUnlessSetupToolsAvailable } from "../support/commandRuns";
import { byType, runComponents, unwrapSecrets, valueOf } from "../support/componentMocks";
import { DEFAULT_IMAGES, DEFAULT_PACKS, FakeBinary, buildFakePackBinary, buildFakeSetupBinary } from "../support/makeselfBinaries";
import { freePort, startRegistry, TestRegistry } from "../support/registry";
import { startHarborStandIn, type HarborStandIn } from "../support/harborStandIn";
import { requireSharedFile } from "../support/sharedFiles";

const COMMAND = "command:local:Command";
const EXTRA_PACK = { name: "vault", version: "0.24.1" };

describe("two registries: images on one, packs on the other (real docker-registry pair, makeself binaries, components under mocks)", function () {
    this.timeout(180_000);
    let packsRegistry: TestRegistry;
    let imagesRegistry: TestRegistry;
    let base: string;
    let previousCache: string | undefined;
    let setupBin: FakeBinary;
    let packBin: FakeBinary;
    let authDump: string;
    let envDump: string;
    let runs: RunRecord[] = [];

    before(async function () {
        skipUnlessSetupToolsAvailable(this);
        // Different users, passwords and CAs (each fixture makes its own self-signed certificate).
        [packsRegistry, imagesRegistry] = await Promise.all([startRegistry({ username: "packs-admin" }), startRegistry({ username: "robot-images" })]);
        assert.notStrictEqual(fs.readFileSync(packsRegistry.caFile, "utf8"), fs.readFileSync(imagesRegistry.caFile, "utf8"));
        base = fs.mkdtempSync(path.join(os.tmpdir(), "palette two registries "));
        previousCache = process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        process.env.PALETTE_AIRGAP_DIGEST_CACHE = path.join(base, "digests.json");
        authDump = path.join(base, "auth.txt");
        envDump = path.join(base, "env.txt");
        fs.mkdirSync(path.join(base, "manifests"));
        setupBin = buildFakeSetupBinary({ outDir: path.join(base, "bins"), manifestsDir: path.join(base, "manifests"), faults: { authDump, envDump } });
        packBin = buildFakePackBinary(EXTRA_PACK, { outDir: path.join(base, "bins") });

        // The program, as AirgapEnvironment wires it, with the mock Command provider running each script.
        const settings: SetupSettings = {
            binary: setupBin.path,
            packBinaries: [parsePackBinary(packBin.path)],
            workDir: path.join(base, "work"),
            loginTool: "skopeo",
            maxAttempts: 1,
            attemptTimeoutMinutes: 240,
            packConcurrency: 1,
            minFreeGb: 0,
        };
        runs = [];
        const mock = executingMock(runs);
        const { value, registrations } = await runComponents(() => {
            const oci = new OciRegistry("registry", { registry: registrySettings() });
            const common = {
                ...oci.runArgs,
                loginTool: "skopeo" as const,
                retryDelaySeconds: 0,
            };
            const airgap = new AirgapSetup("setup", { setup: settings, ...common });
            const packs = new PackUploads("packs", { packBinaries: settings.packBinaries, workDir: settings.workDir, after: airgap, concurrency: 1, ...common });
            return { oci, airgap, packs };
        }, mock);
        program = { value, registrations };
        await valueOf(value.packs.summary);
    });

    let program: { value: { oci: OciRegistry; airgap: AirgapSetup; packs: PackUploads }; registrations: Awaited<ReturnType<typeof runComponents>>["registrations"] };

    after(async function () {
        if (previousCache === undefined) {
            delete process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        } else {
            process.env.PALETTE_AIRGAP_DIGEST_CACHE = previousCache;
        }
        await Promise.all([packsRegistry?.stop(), imagesRegistry?.stop()]);
        if (base) {
            fs.rmSync(base, { recursive: true, force: true });
        }
    });

    function registrySettings(): OciRegistrySettings {
        return {
            kind: "generic",
            endpoint: packsRegistry.endpoint,
            username: packsRegistry.username,
            password: pulumi.secret(packsRegistry.password),
            caFile: packsRegistry.caFile,
            insecure: false,
            images: {
                kind: "generic",
                endpoint: imagesRegistry.endpoint,
                username: imagesRegistry.username,
                password: pulumi.secret(imagesRegistry.password),
                caFile: imagesRegistry.caFile,
                insecure: false,
            },
            packBase: "spectro-packs",
            imageBase: "spectro-images",
            allowDeleteNonEmpty: false,
            protectContent: false,
        };
    }

    it("the setup and pack runs succeed, and the binary got exactly the four OCI_* variables of the two registries", async function () {
        assert.deepStrictEqual(runs.map((r) => [r.name, r.status]), [["setup-run", 0], [`pack-${EXTRA_PACK.name}-${EXTRA_PACK.version}`, 0]]);
        const env = Object.fromEntries(fs.readFileSync(envDump, "utf8").split("\n").filter((l) => l.startsWith("OCI_")).map((l) => l.split(/=(.*)/s).slice(0, 2)));
        assert.deepStrictEqual(env, {
            OCI_IMAGE_REGISTRY: imagesRegistry.endpoint,
            OCI_IMAGE_BASE: "spectro-images",
            OCI_PACK_REGISTRY: packsRegistry.endpoint,
            OCI_PACK_BASE: "spectro-packs",
        });
        assert.strictEqual(await valueOf(program.value.airgap.version), "4.0.17");
    });

    it("images appear only in the images registry's /v2/_catalog, packs only in the packs registry's", async function () {
        const packsCatalog = await packsRegistry.catalog();
        const imagesCatalog = await imagesRegistry.catalog();
        const expectedPacks = [...DEFAULT_PACKS, EXTRA_PACK].map((pack) => `spectro-packs/${pack.name}`).sort();
        const expectedImages = DEFAULT_IMAGES.map((image) => `spectro-images/${image.split(/:(?=[^:/]+$)/)[0]}`).sort();
        assert.deepStrictEqual([...packsCatalog].sort(), expectedPacks);
        assert.deepStrictEqual([...imagesCatalog].sort(), expectedImages);
        for (const pack of [...DEFAULT_PACKS, EXTRA_PACK]) {
            assert.deepStrictEqual(await packsRegistry.tags(`spectro-packs/${pack.name}`), [pack.version]);
        }
    });

    it("each registry was logged in to with its own user, in the run's own DOCKER_CONFIG (removed afterwards); passwords only in the secret environment", async function () {
        const dump = fs.readFileSync(authDump, "utf8");
        const dockerConfig = /^DOCKER_CONFIG=(.*)$/m.exec(dump)![1];
        assert.strictEqual(dockerConfig, path.join(base, "work", "state", "test", "docker-config", "setup"));
        assert.ok(!fs.existsSync(dockerConfig), "the run's credentials directory is removed when the run ends");
        const auths = (JSON.parse(dump.slice(dump.indexOf("{"))) as { auths: Record<string, { auth: string }> }).auths;
        assert.deepStrictEqual(Object.keys(auths).sort(), [imagesRegistry.endpoint, packsRegistry.endpoint].sort());
        const user = (host: string) => Buffer.from(auths[host].auth, "base64").toString("utf8").split(":")[0];
        assert.strictEqual(user(packsRegistry.endpoint), "packs-admin");
        assert.strictEqual(user(imagesRegistry.endpoint), "robot-images");
        for (const command of byType(program.registrations, COMMAND)) {
            assert.deepStrictEqual(command.secretPaths.sort(), [`environment.${IMAGE_REGISTRY_PASSWORD_ENV}`, `environment.${REGISTRY_PASSWORD_ENV}`], command.name);
            for (const password of [packsRegistry.password, imagesRegistry.password]) {
                assert.ok(!String(command.inputs.create).includes(password), `${command.name}: a password in the script`);
            }
        }
        for (const run of runs) {
            for (const password of [packsRegistry.password, imagesRegistry.password]) {
                assert.ok(!run.stdout.includes(password) && !run.stderr.includes(password), `${run.name}: a password in the output`);
            }
        }
    });

    it("preflight checks both registries, each with its own CA, naming the images registry's keys when it fails", async function () {
        const spec = {
            registryKind: "generic" as const,
            loginTool: "skopeo" as const,
            binaryTools: [],
            workDir: base,
            minFreeBytes: 0,
            setupBinary: setupBin.path,
            registryEndpoint: packsRegistry.endpoint,
            registryCaFile: packsRegistry.caFile,
            pathEnv: process.env.PATH,
            timeoutMs: 5000,
        };
        const registryProblems = async (over: object) => (await preflightProblems({ ...spec, ...over })).filter((p) => /registry/i.test(p));
        assert.deepStrictEqual(await registryProblems({ imageRegistry: { endpoint: imagesRegistry.endpoint, caFile: imagesRegistry.caFile } }), []);
        // The images registry checked with the packs registry's CA: its certificate does not verify.
        const wrongCa = await registryProblems({ imageRegistry: { endpoint: imagesRegistry.endpoint, caFile: packsRegistry.caFile } });
        assert.strictEqual(wrongCa.length, 1, wrongCa.join("\n"));
        assert.match(wrongCa[0], new RegExp(`^imageRegistryEndpoint: https://${imagesRegistry.endpoint.replace(/\./g, "\\.")}/v2/ does not answer .*imageRegistryCaFile`));
        // Nothing listens on the images port.
        const closed = `127.0.0.1:${await freePort()}`;
        const down = await registryProblems({ imageRegistry: { endpoint: closed, caFile: imagesRegistry.caFile } });
        assert.strictEqual(down.length, 1, down.join("\n"));
        assert.match(down[0], /^imageRegistryEndpoint: .*ECONNREFUSED.*check imageRegistryEndpoint/);
        // A bad packs CA is still named as the packs registry's.
        const missingCa = await registryProblems({ registryCaFile: path.join(base, "missing-ca.pem"), imageRegistry: { endpoint: imagesRegistry.endpoint, caFile: imagesRegistry.caFile } });
        assert.deepStrictEqual(missingCa.map((p) => p.split(":")[0]), ["registryCaFile"]);
    });

    it("the validation checks each base on its own registry: ok on the two, FAIL when the images registry lacks the images", async function () {
        const registry = validationRegistry(registrySettings());
        const inputs = {
            registryKind: "generic" as const,
            registryEndpoint: packsRegistry.endpoint,
            registryUsername: packsRegistry.username,
            registryPassword: packsRegistry.password,
            registryCaFile: packsRegistry.caFile,
            imageRegistryKind: "generic" as const,
            imageRegistryEndpoint: imagesRegistry.endpoint,
            imageRegistryUsername: imagesRegistry.username,
            imageRegistryPassword: imagesRegistry.password,
            imageRegistryCaFile: imagesRegistry.caFile,
            packBase: "spectro-packs",
            imageBase: "spectro-images",
        };
        assert.strictEqual(registry.images?.endpoint, inputs.imageRegistryEndpoint, "validationRegistry carries the images registry");
        const good = await validate(inputs);
        assert.strictEqual(good.passed, true, good.report.join("\n"));
        assert.deepStrictEqual(good.report.map((line) => line.split(":")[0]), ["ok   packs registry", "ok   images registry"]);
        assert.match(good.report[0], /spectro-packs: 3 repositories/);
        assert.match(good.report[1], /spectro-images: 2 repositories/);
        // The images base looked for on the packs registry (with its credentials): nothing there.
        const swapped = await validate({
            ...inputs,
            imageRegistryEndpoint: packsRegistry.endpoint, imageRegistryUsername: packsRegistry.username, imageRegistryPassword: packsRegistry.password, imageRegistryCaFile: packsRegistry.caFile,
        });
        assert.strictEqual(swapped.passed, false);
        assert.match(swapped.report[1], /^FAIL images registry: spectro-images holds no repository/);
        // The images registry's own credentials are used: the packs user is refused there.
        const wrongUser = await validate({ ...inputs, imageRegistryUsername: packsRegistry.username, imageRegistryPassword: packsRegistry.password });
        assert.match(wrongUser.report[1], /^FAIL images registry: .*HTTP 401: .*"packs-admin" \(check imageRegistryUsername and imageRegistryPassword\)/);
        for (const line of [...good.report, ...swapped.report, ...wrongUser.report]) {
            assert.ok(!line.includes(packsRegistry.password) && !line.includes(imagesRegistry.password), "a password in the report");
        }
    });
});

describe("two Harbors: each project on its own Harbor, with that Harbor's credentials (Harbor project-API stand-ins, OciRegistry under mocks)", function () {
    this.timeout(60_000);
    let packsHarbor: HarborStandIn;
    let imagesHarbor: HarborStandIn;

    before(async function () {
        const swaggerFile = requireSharedFile(this, "schemas/harbor-swagger-v2.15.2.yaml");
        [packsHarbor, imagesHarbor] = await Promise.all([
            startHarborStandIn({ swaggerFile, username: "packs-admin", password: "packs-Harbor-PW-1" }),
            startHarborStandIn({ swaggerFile, username: "robot-images", password: "images-Harbor-PW-2" }),
        ]);
    });

    after(async function () {
        await Promise.all([packsHarbor?.stop(), imagesHarbor?.stop()]);
    });

    it("creates the packs project private on the packs Harbor and the images project public on the images Harbor; the validation then checks each", async function () {
        const settings: OciRegistrySettings = {
            kind: "harbor",
            endpoint: packsHarbor.endpoint,
            username: "packs-admin",
            password: pulumi.secret("packs-Harbor-PW-1"),
            caFile: packsHarbor.caFile,
            insecure: false,
            images: { kind: "harbor", endpoint: imagesHarbor.endpoint, username: "robot-images", password: pulumi.secret("images-Harbor-PW-2"), caFile: imagesHarbor.caFile, insecure: false },
            packBase: "spectro-packs",
            imageBase: "spectro-images",
            allowDeleteNonEmpty: false,
            protectContent: false,
        };
        const { registrations } = await runComponents(() => new OciRegistry("registry", { registry: settings }));
        // What the engine would hand the provider: the registered inputs, through the real provider.
        for (const project of byType(registrations, "palette-airgap:registry:HarborProject")) {
            const inputs = unwrapSecrets(project.inputs) as Record<string, any>;
            delete inputs.__provider;
            await harborProjectProvider.create!(inputs as never);
        }
        assert.deepStrictEqual([packsHarbor.project("spectro-packs")?.public, packsHarbor.project("spectro-images")], [false, undefined]);
        assert.deepStrictEqual([imagesHarbor.project("spectro-images")?.public, imagesHarbor.project("spectro-packs")], [true, undefined]);
        assert.deepStrictEqual([...packsHarbor.violations, ...imagesHarbor.violations], []);

        packsHarbor.addRepository("spectro-packs", "cni-calico");
        imagesHarbor.addRepository("spectro-images", "docker.io/kindest/kindnetd");
        const report = await validate({
            registryKind: "harbor",
            registryEndpoint: packsHarbor.endpoint, registryUsername: "packs-admin", registryPassword: "packs-Harbor-PW-1", registryCaFile: packsHarbor.caFile,
            imageRegistryKind: "harbor",
            imageRegistryEndpoint: imagesHarbor.endpoint, imageRegistryUsername: "robot-images", imageRegistryPassword: "images-Harbor-PW-2", imageRegistryCaFile: imagesHarbor.caFile,
            packBase: "spectro-packs",
            imageBase: "spectro-images",
        });
        assert.deepStrictEqual(report.report, [
            `ok   packs registry: spectro-packs: 1 repository (Harbor https://${packsHarbor.endpoint})`,
            `ok   images registry: spectro-images: 1 repository (Harbor https://${imagesHarbor.endpoint})`,
        ]);
    });
});
