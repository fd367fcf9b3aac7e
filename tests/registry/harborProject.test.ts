/**
 * HarborProject: the custom resource against an HTTPS stand-in for Harbor that validates every
 * request against Harbor's swagger (../shared/schemas/harbor-swagger-v2.15.2.yaml). Most tests call
 * the resource's implementation directly; the plugin tests run it the way Pulumi does: the
 * provider plugin started as an executable, driven over gRPC (tests/support/plugin.ts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { request } from "undici";
import { HarborClient, MAX_REPOSITORY_PAGES, normalizeHarborEndpoint, redactCredentials } from "../../components/registry/harborApi";
import { HarborProject } from "../../components/registry/harborProject";
import { harborProjectProvider, type HarborProjectInputs, type HarborProjectOutputs } from "../../components/registry/harborProjectProvider";
import { callPlugin, PluginProcess, secretPaths, type ProviderMethod } from "../support/plugin";
import { selfSignedCertificate } from "../support/selfSignedCertificate";
import { wireSecret, withoutSecrets } from "../support/secretWire";
import { startHarborStandIn, type HarborStandIn } from "../support/harborStandIn";
import { requireSharedFile } from "../support/sharedFiles";
import { startSilentServer } from "../support/silentServer";

const USER = "palette-installer";
const PASSWORD = "harbor-Pa55-SECRET-7f3c";
const WRONG_PASSWORD = "wrong-Pa55-SECRET-0d1e";
const provider = harborProjectProvider;

describe("HarborProject: the custom resource against a swagger-validating Harbor stand-in", function () {
    let harbor: HarborStandIn;
    /** Everything the provider said (results and errors), searched for the passwords at the end. */
    const transcript: string[] = [];

    before(async function () {
        const swaggerFile = requireSharedFile(this, "schemas/harbor-swagger-v2.15.2.yaml");
        harbor = await startHarborStandIn({ swaggerFile, username: USER, password: PASSWORD });
    });

    after(async function () {
        await harbor?.stop();
    });

    function inputs(projectName: string, isPublic: boolean, overrides: Partial<HarborProjectInputs> = {}): HarborProjectInputs {
        return { endpoint: harbor.endpoint, username: USER, password: PASSWORD, caFile: harbor.caFile, insecure: false, projectName, public: isPublic, allowDeleteNonEmpty: false, ...overrides };
    }

    /** check() as the engine calls it first; asserts no failures. */
    async function checked(news: HarborProjectInputs): Promise<HarborProjectInputs> {
        const result = await provider.check!({} as HarborProjectInputs, news);
        assert.deepStrictEqual(result.failures, undefined);
        return result.inputs!;
    }

    async function create(news: HarborProjectInputs): Promise<{ id: string; outs: HarborProjectOutputs }> {
        const result = await provider.create(await checked(news));
        transcript.push(JSON.stringify(result));
        return { id: result.id, outs: result.outs! };
    }

    /** The error message of a rejected promise (recorded for the secret-leak check). */
    async function rejection(promise: Promise<unknown>): Promise<string> {
        try {
            await promise;
        } catch (error) {
            const message = (error as Error).message;
            transcript.push(message, String((error as Error).stack));
            return message;
        }
        assert.fail("expected the call to fail");
    }

    function assertNoUndefined(value: unknown, where = "outs"): void {
        for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
            assert.notStrictEqual(item, undefined, `${where}.${key} is undefined (the engine's Struct cannot carry it)`);
        }
    }

    describe("check", function () {
        it("applies defaults and normalizes https://host:port to host:port", async function () {
            const result = await provider.check!({} as HarborProjectInputs, {
                endpoint: `https://${harbor.endpoint}/`,
                username: USER,
                password: PASSWORD,
                projectName: "spectro-packs",
                public: false,
            });
            assert.deepStrictEqual(result.failures, undefined);
            assert.strictEqual(result.inputs!.endpoint, harbor.endpoint);
            assert.strictEqual(result.inputs!.insecure, false);
            assert.strictEqual(result.inputs!.allowDeleteNonEmpty, false);
            assert.strictEqual(normalizeHarborEndpoint("harbor.lab.internal:443"), "harbor.lab.internal");
        });

        it("reports every bad input at once, naming the property, never echoing the password", async function () {
            const result = await provider.check!({} as HarborProjectInputs, {
                endpoint: "http://harbor.lab.internal",
                username: "",
                password: PASSWORD,
                caFile: "relative/ca.crt",
                projectName: "Spectro_Packs",
                public: "yes" as unknown as boolean,
            });
            const failures = result.failures ?? [];
            assert.deepStrictEqual(failures.map((f) => f.property).sort(), ["caFile", "endpoint", "projectName", "public", "username"]);
            assert.match(failures.find((f) => f.property === "endpoint")!.reason, /plain http:\/\/.*HTTPS/);
            assert.ok(!JSON.stringify(failures).includes(PASSWORD));
        });

        it("tolerates values unknown during preview", async function () {
            const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
            const result = await provider.check!({} as HarborProjectInputs, { ...inputs("spectro-packs", false), password: unknown, endpoint: unknown });
            assert.deepStrictEqual(result.failures, undefined);
        });
    });

    describe("create", function () {
        it("creates a private project (spectro-packs) and returns its numeric id", async function () {
            const { id, outs } = await create(inputs("spectro-packs", false));
            const project = harbor.project("spectro-packs")!;
            assert.ok(project, "the project exists in Harbor");
            assert.strictEqual(id, String(project.id));
            assert.match(id, /^\d+$/);
            assert.strictEqual(project.public, false);
            assert.strictEqual(outs.public, false);
            assert.strictEqual(outs.projectId, project.id);
            assert.strictEqual(outs.projectName, "spectro-packs");
            assert.strictEqual(outs.repoCount, 0);
            assert.strictEqual(outs.adopted, false);
            assert.strictEqual(outs.caFile, harbor.caFile);
            assertNoUndefined(outs);
            const post = harbor.requests.find((r) => r.operationId === "createProject");
            assert.strictEqual(post?.status, 201);
        });

        it("creates a public project (spectro-images)", async function () {
            const { outs } = await create(inputs("spectro-images", true));
            assert.strictEqual(harbor.project("spectro-images")!.public, true);
            assert.strictEqual(outs.public, true);
        });

        it("adopts an existing project of the same name and converges a conflicting public flag", async function () {
            harbor.addProject("adopt-me", true);
            const { id, outs } = await create(inputs("adopt-me", false, { caFile: undefined, insecure: true }));
            assert.strictEqual(id, String(harbor.project("adopt-me")!.id));
            assert.strictEqual(outs.adopted, true);
            assert.strictEqual(outs.public, false);
            assert.strictEqual(harbor.project("adopt-me")!.public, false, "the flag was set to the desired value");
            assertNoUndefined(outs);
            assert.ok(!("caFile" in outs));
            await provider.delete!(id, outs);
        });
    });

    describe("read, diff and update: drift", function () {
        it("reads back an unchanged project as is", async function () {
            const { id, outs } = await create(inputs("drift-same", false));
            const read = await provider.read!(id, outs);
            assert.strictEqual(read.id, id);
            assert.deepStrictEqual(read.props, outs);
            const diff = await provider.diff!(id, read.props!, await checked(inputs("drift-same", false)));
            assert.strictEqual(diff.changes, false);
        });

        it("sees a project deleted behind Pulumi's back (no id)", async function () {
            const { id, outs } = await create(inputs("drift-gone", true));
            harbor.removeProject("drift-gone");
            const read = await provider.read!(id, outs);
            assert.strictEqual(read.id, undefined);
        });

        it("sees a public flag flipped behind Pulumi's back; diff asks for an update that fixes it", async function () {
            const desired = inputs("drift-flag", false);
            const { id, outs } = await create(desired);
            harbor.setPublic("drift-flag", true);
            const read = await provider.read!(id, outs);
            assert.strictEqual(read.id, id);
            assert.strictEqual(read.props!.public, true, "read reports Harbor's actual flag");

            const diff = await provider.diff!(id, read.props!, await checked(desired));
            assert.strictEqual(diff.changes, true);
            assert.deepStrictEqual(diff.replaces, []);

            const updated = await provider.update!(id, read.props!, await checked(desired));
            assert.strictEqual(updated.outs!.public, false);
            assert.strictEqual(harbor.project("drift-flag")!.public, false, "update fixed the flag in Harbor");
            assertNoUndefined(updated.outs);
            assert.strictEqual(harbor.requests.filter((r) => r.operationId === "updateProject" && r.status === 200).length >= 1, true);
        });

        it("a new projectName or endpoint is a replacement (deleted first)", async function () {
            const { id, outs } = await create(inputs("rename-me", false));
            const renamed = await provider.diff!(id, outs, await checked(inputs("renamed", false)));
            assert.deepStrictEqual(renamed.replaces, ["projectName"]);
            assert.strictEqual(renamed.changes, true);
            assert.strictEqual(renamed.deleteBeforeReplace, true);
            const moved = await provider.diff!(id, outs, { ...(await checked(inputs("rename-me", false))), endpoint: "harbor2.lab.internal" });
            assert.deepStrictEqual(moved.replaces, ["endpoint"]);
            const sameHarbor = await provider.diff!(id, outs, await checked(inputs("rename-me", false, { endpoint: `https://${harbor.endpoint}` })));
            assert.strictEqual(sameHarbor.changes, false, "https://host:port is the same endpoint as host:port");

            // The replacement as the engine runs it with deleteBeforeReplace: delete, then create.
            await provider.delete!(id, outs);
            const created = await create(inputs("renamed", false));
            assert.strictEqual(harbor.project("rename-me"), undefined);
            assert.strictEqual(harbor.project("renamed")!.id, created.outs.projectId);
        });

        it("credential changes alone are an in-place update that does not touch Harbor", async function () {
            const { id, outs } = await create(inputs("creds-only", true));
            const news = await checked(inputs("creds-only", true, { password: "rotated-Pa55-SECRET-5", username: "robot$palette", insecure: true, caFile: undefined }));
            const diff = await provider.diff!(id, outs, news);
            assert.strictEqual(diff.changes, true);
            assert.deepStrictEqual(diff.replaces, []);
            const before = harbor.requests.length;
            const updated = await provider.update!(id, outs, news);
            assert.strictEqual(harbor.requests.length, before, "no request reached Harbor");
            assert.strictEqual(updated.outs!.password, "rotated-Pa55-SECRET-5");
            assert.strictEqual(updated.outs!.username, "robot$palette");
            assert.strictEqual(updated.outs!.insecure, true);
            assert.ok(!("caFile" in updated.outs!));
            assert.strictEqual(updated.outs!.projectId, outs.projectId);
            assert.strictEqual(updated.outs!.public, true);
        });
    });

    describe("delete", function () {
        it("refuses a project that still holds repositories, naming the project, the count and registryAllowDeleteNonEmpty", async function () {
            const { id, outs } = await create(inputs("full-project", false));
            harbor.addRepository("full-project", "pack-a");
            harbor.addRepository("full-project", "charts/pack-b");
            const message = await rejection(provider.delete!(id, outs));
            assert.match(message, /"full-project"/);
            assert.match(message, /2 repositories/);
            assert.match(message, /registryAllowDeleteNonEmpty/);
            assert.ok(harbor.project("full-project"), "the project is still there");
            assert.strictEqual(harbor.project("full-project")!.repositories.length, 2);
        });

        it("deletes a non-empty project (repositories first, nested names encoded twice) with allowDeleteNonEmpty", async function () {
            const { id, outs } = await create(inputs("full-allowed", false, { allowDeleteNonEmpty: true }));
            harbor.addRepository("full-allowed", "spectro-packs/edge/pack-c");
            harbor.addRepository("full-allowed", "pack-d");
            for (let i = 0; i < 105; i++) {
                harbor.addRepository("full-allowed", `bulk/image-${i}`);
            }
            await provider.delete!(id, outs);
            assert.strictEqual(harbor.project("full-allowed"), undefined);
            assert.ok(harbor.requests.some((r) => r.operationId === "listRepositories" && /page=2/.test(r.url)), "every page was listed");
            assert.ok(harbor.requests.some((r) => r.operationId === "deleteRepository" && r.url.includes("edge%252Fpack-c")));
        });

        it("an already deleted project counts as deleted", async function () {
            const { id, outs } = await create(inputs("gone-already", true));
            harbor.removeProject("gone-already");
            await provider.delete!(id, outs);
            await provider.delete!(id, outs);
        });

        it("flipping allowDeleteNonEmpty reaches the state through an in-place update", async function () {
            const { id, outs } = await create(inputs("flip-allow", false));
            harbor.addRepository("flip-allow", "pack-e");
            const news = await checked(inputs("flip-allow", false, { allowDeleteNonEmpty: true }));
            const diff = await provider.diff!(id, outs, news);
            assert.strictEqual(diff.changes, true);
            assert.deepStrictEqual(diff.replaces, []);
            const updated = await provider.update!(id, outs, news);
            await provider.delete!(id, updated.outs!);
            assert.strictEqual(harbor.project("flip-allow"), undefined);
        });
    });

    describe("errors", function () {
        it("a wrong password: a clear message naming the user, without either password", async function () {
            const message = await rejection(provider.create(await checked(inputs("bad-creds", false, { password: WRONG_PASSWORD }))));
            assert.match(message, /rejected the credentials of user "palette-installer"/);
            assert.match(message, /HTTP 401/);
            assert.match(message, /registryPassword/);
            assert.ok(!message.includes(WRONG_PASSWORD) && !message.includes(PASSWORD));
            assert.strictEqual(harbor.project("bad-creds"), undefined);
        });

        it("an untrusted certificate without caFile: the message says to set registryCaFile", async function () {
            const message = await rejection(provider.create(await checked(inputs("tls-untrusted", false, { caFile: undefined }))));
            assert.match(message, /registryCaFile/);
            assert.match(message, /DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
            assert.ok(!message.includes(PASSWORD));
            assert.strictEqual(harbor.project("tls-untrusted"), undefined);
        });

        it("a CA file that did not sign Harbor's certificate: the message names registryCaFile", async function () {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-otherca-"));
            try {
                const otherCa = selfSignedCertificate(dir, "other-ca").certFile;
                const message = await rejection(provider.create(await checked(inputs("tls-otherca", false, { caFile: otherCa }))));
                assert.match(message, /registryCaFile \(.*other-ca\.crt\)/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("insecure: true skips verification only when asked (still HTTPS)", async function () {
            const { id, outs } = await create(inputs("tls-insecure", false, { caFile: undefined, insecure: true }));
            assert.strictEqual(outs.insecure, true);
            await provider.delete!(id, outs);
        });

        it("http:// is refused before anything is sent", async function () {
            const before = harbor.requests.length;
            const plain = inputs("plain-http", false, { endpoint: `http://${harbor.endpoint}` });
            const check = await provider.check!({} as HarborProjectInputs, plain);
            assert.strictEqual(check.failures?.[0]?.property, "endpoint");
            assert.match(await rejection(provider.create(plain)), /plain http:\/\/.*HTTPS/);
            assert.throws(() => new HarborClient({ endpoint: `http://${harbor.endpoint}`, username: USER, password: PASSWORD }), /plain http:\/\//);
            assert.strictEqual(harbor.requests.length, before);
        });

        it("a missing CA file is named", async function () {
            assert.match(await rejection(provider.create(inputs("no-ca", false, { caFile: "/nonexistent/harbor-ca.crt" }))), /cannot read registryCaFile \/nonexistent\/harbor-ca\.crt/);
        });
    });

    describe("through the provider plugin over gRPC (started as the engine starts it, in an empty directory)", function () {
        const TYPE = "palette-airgap:registry:HarborProject";
        let plugin: PluginProcess;

        before(async function () {
            plugin = await PluginProcess.start();
        });

        after(async function () {
            if (plugin) {
                transcript.push(plugin.transcript());
                assert.ok(plugin.alive, "the plugin process ended during the tests");
                await plugin.stop();
            }
        });

        /** Inputs as the engine sends them: the password a protocol secret. */
        function engineInputs(projectName: string, isPublic: boolean, overrides: Partial<HarborProjectInputs> = {}): Record<string, unknown> {
            const plain = inputs(projectName, isPublic, overrides);
            return { ...plain, password: wireSecret(plain.password) };
        }

        async function call<T = any>(method: ProviderMethod, name: string, ...args: unknown[]): Promise<T> {
            const { result, output } = await callPlugin<T>(plugin, TYPE, name, method, args);
            transcript.push(output, JSON.stringify(withoutSecrets(result))); // the secrets themselves are asserted below
            const properties = (result as any)?.inputs ?? (result as any)?.outs ?? (result as any)?.props;
            if (properties) {
                assert.deepStrictEqual(secretPaths(properties), ["password"], `${method} returns the password as a protocol secret`);
            }
            return result;
        }

        it("check, create, read (a change behind its back), diff, update and delete; the password comes back as a secret", async function () {
            const checked = await call<{ inputs: Record<string, any>; failures: unknown[] }>("check", "packs", {}, engineInputs("grpc-packs", false));
            assert.deepStrictEqual(checked.failures, []);
            const created = await call<{ id: string; outs: Record<string, any> }>("create", "packs", checked.inputs);
            assert.match(created.id, /^\d+$/);
            assert.deepStrictEqual([created.outs.projectName, created.outs.public, created.outs.adopted], ["grpc-packs", false, false]);
            assert.strictEqual(harbor.project("grpc-packs")!.public, false);

            harbor.setPublic("grpc-packs", true);
            const read = await call<{ id: string; props: Record<string, any> }>("read", "packs", created.id, created.outs);
            assert.strictEqual(read.id, created.id);
            assert.strictEqual(read.props.public, true, "read reports the flag changed in Harbor");

            const diff = await call<{ changes: boolean; replaces: string[] }>("diff", "packs", created.id, read.props, checked.inputs);
            assert.deepStrictEqual([diff.changes, diff.replaces], [true, []]);
            const updated = await call<{ outs: Record<string, any> }>("update", "packs", created.id, read.props, checked.inputs);
            assert.strictEqual(updated.outs.public, false);
            assert.strictEqual(harbor.project("grpc-packs")!.public, false);
            const settled = await call<{ changes: boolean }>("diff", "packs", created.id, updated.outs, checked.inputs);
            assert.strictEqual(settled.changes, false);

            harbor.addRepository("grpc-packs", "pack-f");
            const refused = await call("delete", "packs", created.id, updated.outs).then(
                () => assert.fail("delete of a non-empty project must fail"),
                (error: Error & { output?: string }) => error,
            );
            transcript.push(refused.message, refused.output ?? "");
            assert.match(refused.message, /"grpc-packs".*1 repository.*registryAllowDeleteNonEmpty/s);
            assert.ok(harbor.project("grpc-packs"), "the refused delete removed the project");

            harbor.removeProject("grpc-packs");
            const gone = await call<{ id?: string }>("read", "packs", created.id, updated.outs);
            assert.strictEqual(gone.id, undefined, "a project deleted behind its back reads as gone");
            await call("delete", "packs", created.id, updated.outs);
        });

        it("a new project name is a replacement that deletes the old project before creating the new one", async function () {
            const first = await call<{ inputs: Record<string, any> }>("check", "images", {}, engineInputs("grpc-images", true));
            const created = await call<{ id: string; outs: Record<string, any> }>("create", "images", first.inputs);
            const renamed = await call<{ inputs: Record<string, any> }>("check", "images", first.inputs, engineInputs("grpc-images-2", true));
            const diff = await call<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>("diff", "images", created.id, created.outs, renamed.inputs);
            assert.deepStrictEqual([diff.changes, diff.replaces, diff.deleteBeforeReplace], [true, ["projectName"], true]);
            await call("delete", "images", created.id, created.outs);
            const replacement = await call<{ id: string; outs: Record<string, any> }>("create", "images", renamed.inputs);
            assert.strictEqual(harbor.project("grpc-images"), undefined);
            assert.strictEqual(harbor.project("grpc-images-2")!.public, true);
            assert.notStrictEqual(replacement.id, created.id);
            await call("delete", "images", replacement.id, replacement.outs);
        });

        it("a bad input to check names the property and the fix, and never echoes the password", async function () {
            const checked = await call<{ failures: { property: string; reason: string }[] }>(
                "check", "bad", {}, engineInputs("Not_A_Project!", false, { endpoint: "http://harbor.lab.internal", caFile: "certs/ca.pem", password: "" }),
            );
            const byProperty = Object.fromEntries(checked.failures.map((failure) => [failure.property, failure.reason]));
            assert.deepStrictEqual(Object.keys(byProperty).sort(), ["caFile", "endpoint", "password", "projectName"]);
            assert.match(byProperty.endpoint, /http:\/\/.*give host\[:port\] or https:\/\/host\[:port\]/);
            assert.match(byProperty.projectName, /lowercase letters and digits.*e\.g\. spectro-packs/);
            assert.match(byProperty.caFile, /not an absolute path; e\.g\. \//);
            assert.match(byProperty.password, /pulumi config set --secret/);
        });

        it("a wrong password fails in the plugin without the password in the message or the plugin's output", async function () {
            const checked = await call<{ inputs: Record<string, any> }>("check", "badcreds", {}, engineInputs("grpc-badcreds", false, { password: WRONG_PASSWORD }));
            const error = await call("create", "badcreds", checked.inputs).then(
                () => assert.fail("expected a 401 failure"),
                (e: Error & { output?: string }) => e,
            );
            transcript.push(error.message, error.output ?? "");
            assert.match(error.message, /rejected the credentials/);
            assert.ok(!error.message.includes(WRONG_PASSWORD) && !plugin.transcript().includes(WRONG_PASSWORD));
            assert.strictEqual(harbor.project("grpc-badcreds"), undefined);
        });
    });

    describe("HarborProject resource (the SDK's own serialization, under the mock engine)", function () {
        interface Registration {
            type: string;
            name: string;
            object: Record<string, unknown>;
            additionalSecretOutputs: string[];
        }
        const registrations: Registration[] = [];
        let restore: (() => void) | undefined;

        before(async function () {
            const mocksModule = require("@pulumi/pulumi/runtime/mocks");
            const original = mocksModule.MockMonitor.prototype.registerResource;
            mocksModule.MockMonitor.prototype.registerResource = function (req: any, callback: any) {
                registrations.push({
                    type: req.getType(),
                    name: req.getName(),
                    object: req.getObject().toJavaScript(),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                });
                return original.call(this, req, callback);
            };
            restore = () => (mocksModule.MockMonitor.prototype.registerResource = original);
            await pulumi.runtime.setMocks(
                { newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, projectId: 1, repoCount: 0, adopted: false } }), call: (args) => args.inputs },
                "palette-airgap",
                "harbor-test",
                false,
            );
        });

        after(function () {
            restore?.();
        });

        it("registers palette-airgap:registry:HarborProject with the password secret and no code; the plugin creates, reads and deletes it", async function () {
            const resource = new HarborProject("spectro-images", {
                endpoint: harbor.endpoint,
                username: USER,
                password: pulumi.secret(PASSWORD),
                caFile: harbor.caFile,
                projectName: "resource-images",
                public: true,
            });
            await new Promise((resolve) => resource.urn.apply(resolve));
            const registration = registrations.find((r) => r.name === "spectro-images")!;
            assert.strictEqual(registration.type, "palette-airgap:registry:HarborProject");
            assert.deepStrictEqual(registration.additionalSecretOutputs, ["password"]);
            const SIG = "4dabf18193072939515e22adb298388d";
            const password = registration.object.password as Record<string, unknown>;
            assert.strictEqual(password[SIG], "1b47061264138c4ac30d75fd1eb44270", "password is sent to the engine as a secret");
            assert.strictEqual(registration.object.insecure, false);
            assert.strictEqual(registration.object.allowDeleteNonEmpty, false);
            assert.strictEqual(await new Promise((resolve) => pulumi.all([resource.public, resource.projectName]).apply(resolve)).then((v) => JSON.stringify(v)), '[true,"resource-images"]');

            assert.ok(!("__provider" in registration.object), "the inputs (the state) hold no code");

            // Drive the plugin exactly as the engine would, from the inputs it received.
            const plugin = await PluginProcess.start();
            try {
                const type = registration.type;
                const check = await callPlugin<{ inputs: Record<string, unknown>; failures: unknown[] }>(plugin, type, registration.name, "check", [{}, registration.object]);
                assert.deepStrictEqual(check.result.failures, []);
                const created = await callPlugin<{ id: string; outs: Record<string, unknown> }>(plugin, type, registration.name, "create", [check.result.inputs]);
                transcript.push(created.output, JSON.stringify(withoutSecrets(created.result)));
                assert.deepStrictEqual(secretPaths(created.result.outs), ["password"]);
                assert.strictEqual(harbor.project("resource-images")!.public, true);
                const read = await callPlugin<{ id: string; props: Record<string, unknown> }>(plugin, type, registration.name, "read", [created.result.id, created.result.outs]);
                assert.strictEqual(read.result.id, created.result.id);
                const deleted = await callPlugin(plugin, type, registration.name, "delete", [created.result.id, read.result.props]);
                transcript.push(deleted.output);
                assert.strictEqual(harbor.project("resource-images"), undefined);
            } finally {
                await plugin.stop();
            }
        });
    });

    describe("the stand-in itself enforces the swagger", function () {
        async function raw(method: string, urlPath: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<number> {
            const { Agent } = require("undici");
            const agent = new Agent({ connect: { ca: fs.readFileSync(harbor.caFile, "utf8") } });
            try {
                const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
                const response = await request(`${harbor.url}${urlPath}`, { method: method as "GET", headers: { authorization: auth, ...(init.headers ?? {}) }, body: init.body, dispatcher: agent });
                await response.body.text();
                return response.statusCode;
            } finally {
                await agent.close();
            }
        }

        it("answers requests the swagger does not allow with 400/404/405 and records them", async function () {
            const before = harbor.violations.length;
            const json = { "content-type": "application/json" };
            assert.strictEqual(await raw("POST", "/api/v2.0/projects", { headers: json, body: JSON.stringify({ project_name: "x1", metadata: { public: "true" }, colour: "red" }) }), 400);
            assert.strictEqual(await raw("POST", "/api/v2.0/projects", { headers: json, body: JSON.stringify({ project_name: "x2", metadata: { public: true } }) }), 400);
            assert.strictEqual(await raw("GET", "/api/v2.0/projectz/x"), 404);
            assert.strictEqual(await raw("GET", "/api/projects/x"), 404);
            assert.strictEqual(await raw("PATCH", "/api/v2.0/projects/x"), 405);
            assert.strictEqual(await raw("GET", "/api/v2.0/projects/x/summary?verbose=1"), 400);
            assert.strictEqual(await raw("GET", "/api/v2.0/projects/x", { headers: { "x-is-resource-name": "yes" } }), 400);
            assert.strictEqual(await raw("GET", "/api/v2.0/projects/x", { headers: { "x-custom": "1" } }), 400);
            assert.strictEqual(await raw("GET", "/api/v2.0/projects/x/repositories?page_size=500"), 400);
            assert.strictEqual(await raw("DELETE", "/api/v2.0/projects/x", { headers: json, body: "{}" }), 400);
            const recorded = harbor.violations.splice(before);
            assert.strictEqual(recorded.length >= 10, true, JSON.stringify(recorded, null, 2));
            assert.ok(recorded.some((v) => /colour is not a property of ProjectReq/.test(v.reason)));
            assert.ok(recorded.some((v) => /metadata\.public must be a string/.test(v.reason)));
            assert.ok(recorded.some((v) => /page_size is above the maximum 100/.test(v.reason)));
            assert.strictEqual(harbor.project("x1"), undefined);
        });
    });

    describe("a faulty Harbor (or a proxy in front of it): bounded, never adopting another project, never echoing a credential (issue 9, item 7)", function () {
        let client: HarborClient;
        beforeEach(function () {
            client = new HarborClient({ endpoint: harbor.endpoint, username: USER, password: PASSWORD, caFile: harbor.caFile });
        });
        afterEach(async function () {
            harbor.faults = {};
            await client.close();
        });

        /** listRepositories requests made while fn ran. */
        async function listingRequests(fn: () => Promise<unknown>): Promise<number> {
            const before = harbor.requests.length;
            await fn();
            return harbor.requests.slice(before).filter((r) => r.operationId === "listRepositories").length;
        }

        it("a server that answers the same full page with Link: next forever: stopped at the second page", async function () {
            harbor.addProject("endless-repeat", false);
            harbor.faults.endlessPages = "repeat";
            let message = "";
            const requests = await listingRequests(async () => (message = await rejection(client.listRepositories("endless-repeat"))));
            assert.strictEqual(requests, 2);
            assert.match(message, /listRepositories for project "endless-repeat" .*page 2 lists only repositories of earlier pages; stopped listing/);
        });

        it(`a server that says next forever with new names and no total: stopped at ${MAX_REPOSITORY_PAGES} pages`, async function () {
            this.timeout(120_000);
            harbor.addProject("endless-fresh", false);
            harbor.faults.endlessPages = "fresh";
            let message = "";
            const requests = await listingRequests(async () => (message = await rejection(client.listRepositories("endless-fresh"))));
            assert.strictEqual(requests, MAX_REPOSITORY_PAGES);
            assert.match(message, new RegExp(`more than ${MAX_REPOSITORY_PAGES} pages of 100 repositories`));
        });

        it("a server whose X-Total-Count says 3 while it keeps sending full pages: one request", async function () {
            harbor.addProject("endless-lying", false);
            harbor.faults.endlessPages = "lying-total";
            const requests = await listingRequests(() => client.listRepositories("endless-lying"));
            assert.strictEqual(requests, 1);
        });

        it("deleting a non-empty project against endless pages fails, naming the project, instead of looping", async function () {
            const project = harbor.addProject("endless-delete", false);
            harbor.addRepository("endless-delete", "a");
            harbor.faults.endlessPages = "repeat";
            const message = await rejection(provider.delete(String(project.id), { ...inputs("endless-delete", false, { allowDeleteNonEmpty: true }), repoCount: 1, adopted: false } as HarborProjectOutputs));
            assert.match(message, /listRepositories for project "endless-delete"/);
            assert.ok(harbor.project("endless-delete"), "nothing was deleted");
        });

        it("create never adopts a project of another name: library's public flag stays as it is", async function () {
            const library = harbor.project("library") ?? harbor.addProject("library", true);
            harbor.setPublic("library", true);
            harbor.faults.getProjectAnswersWith = "library";
            const before = harbor.requests.length;
            const message = await rejection(provider.create(await checked(inputs("spectro-packs-proxy", false))));
            assert.match(message, /getProject for project "spectro-packs-proxy" .*returned another project, "library" \(id \d+\): refusing to use it \(nothing was changed\)/);
            assert.strictEqual(harbor.project("library")!.public, true, "library is still public");
            assert.strictEqual(library.public, true);
            assert.deepStrictEqual(harbor.requests.slice(before).filter((r) => r.operationId === "updateProject"), [], "no updateProject was sent");
        });

        it("after a 409 on create, the project read back must be the one asked for", async function () {
            harbor.project("library") ?? harbor.addProject("library", true);
            harbor.faults.createConflicts = true;
            harbor.faults.getProjectAnswersWith = "library";
            // The first lookup sees "library" for the name already: refused before any POST.
            const message = await rejection(provider.create(await checked(inputs("spectro-images-409", true))));
            assert.match(message, /returned another project, "library"/);
            assert.strictEqual(harbor.project("spectro-images-409"), undefined);
            // By id, the project's name is compared with the one created.
            harbor.faults = {};
            const other = harbor.addProject("someone-else", false);
            const byId = await rejection(client.getProject(other.id, "spectro-images-409"));
            assert.match(byId, /getProject for project id \d+ .*returned another project, "someone-else"/);
        });

        for (const echo of ["body", "header", "bearer"] as const) {
            it(`a server echoing the credentials back (${echo}): the error carries none of them, in any encoding`, async function () {
                harbor.faults.echoCredentials = echo;
                const before = harbor.undeclaredResponses.length;
                const message = await rejection(provider.create(await checked(inputs(`echo-${echo}`, false))));
                harbor.undeclaredResponses.splice(before).forEach((r) => assert.strictEqual(r.status, 500));
                assert.match(message, /HTTP 500/);
                for (const form of credentialForms(USER, PASSWORD)) {
                    assert.ok(!message.includes(form), `${echo}: the message holds ${form}`);
                }
                if (echo === "body" || echo === "header") {
                    assert.match(message, /Basic \*{8}/, "the place of the credential is still visible");
                } else {
                    assert.match(message, /Bearer \*{8}/);
                    assert.match(message, /https:\/\/\*{8}@harbor\.internal/);
                }
            });
        }

        it("redactCredentials covers the forms a server may echo, for anyone's Basic/Bearer value", function () {
            const forms = credentialForms(USER, PASSWORD);
            const text = `${forms.join(" | ")} | Authorization: Basic b3RoZXI6c2VjcmV0 | authorization=Bearer%20eyJhbGciOi.x.y`;
            const redacted = redactCredentials(text, { username: USER, password: PASSWORD });
            for (const form of forms) {
                assert.ok(!redacted.includes(form), form);
            }
            assert.ok(!redacted.includes("b3RoZXI6c2VjcmV0") && !redacted.includes("eyJhbGciOi"), redacted);
        });

        it("a Harbor that completes TLS and never answers: the call fails within its time limit, naming the call", async function () {
            const silent = await startSilentServer({ tls: true });
            const slow = new HarborClient({ endpoint: silent.endpoint, username: USER, password: PASSWORD, caFile: silent.caFile, responseTimeoutMs: 1500 });
            try {
                const message = await rejection(slow.getProject("spectro-packs"));
                assert.match(message, /Harbor getProject .* at https:\/\/127\.0\.0\.1:\d+ failed: cannot connect .*UND_ERR_HEADERS_TIMEOUT.*gave no answer within 1\.5 s/);
                assert.ok(silent.connections() >= 1);
            } finally {
                await slow.close();
                await silent.stop();
            }
        });
    });

    describe("across the suite", function () {
        it("made no request the swagger does not allow, and every stand-in response matched the swagger", function () {
            assert.deepStrictEqual(harbor.violations, []);
            assert.deepStrictEqual(harbor.responseViolations, []);
            // Harbor answers 404 for a missing project although getProject declares no 404.
            const undeclared = new Set(harbor.undeclaredResponses.map((r) => `${r.operationId} ${r.status}`));
            assert.deepStrictEqual([...undeclared], ["getProject 404"]);
            assert.ok(harbor.requests.length > 50);
        });

        it("the password never appeared in any result, error, or output of the provider process", function () {
            assert.ok(transcript.length > 10);
            const text = transcript.join("\n");
            // Results legitimately carry the password in `outs.password` (state, secret): remove that field only.
            const withoutStateField = text.replace(/"password":"[^"]*"/g, '"password":"<state>"');
            for (const form of credentialForms(USER, PASSWORD)) {
                assert.ok(!withoutStateField.includes(form), `the password leaked as ${form}`);
            }
            assert.ok(!withoutStateField.includes(WRONG_PASSWORD), "the wrong password leaked");
        });
    });
});

/** A password as a server may echo it: as is, base64 alone or in a Basic value, URL-encoded, hex. */
function credentialForms(username: string, password: string): string[] {
    return [
        password,
        Buffer.from(password).toString("base64"),
        Buffer.from(`${username}:${password}`).toString("base64"),
        encodeURIComponent(password),
        Buffer.from(password).toString("hex"),
    ];
}
