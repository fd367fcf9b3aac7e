/**
 * The stack generator's questions against CONFIG_KEYS: every key a stack must set is asked, so a
 * generated file can always pass loadConfig(); secrets are never asked.
 */
import * as assert from "assert";
import { CONFIG_KEYS, configKey } from "../../components/configKeys";
import { ASKED_KEYS, QUESTIONS, answerProblems, isAsked, neededSecrets } from "../../scripts/stackGenerator";

describe("stack generator questions", () => {
    const asked = new Set(ASKED_KEYS);

    it("asks every key that is required, or required in a situation the generator's answers create", () => {
        for (const spec of CONFIG_KEYS.filter((candidate) => !candidate.secret)) {
            // A key required only once another key the generator never asks is set (TLS pair, mirror password) is left to pulumi config set.
            const onlyAfterAnUnaskedKey = (spec.requiredWhen ?? []).some((condition) => condition.set === true && !asked.has(condition.key));
            if (spec.default === undefined || (spec.requiredWhen && !onlyAfterAnUnaskedKey)) {
                assert.ok(asked.has(spec.key), `${spec.key} is required${spec.requiredWhen ? " in some stacks" : ""} but never asked`);
            }
        }
    });

    it("asks no secret, and only declared keys (plus its own placement choice)", () => {
        for (const question of QUESTIONS) {
            if (question.key === "placement") continue;
            assert.ok(!configKey(question.key).secret, `${question.key} is a secret`);
        }
    });

    it("names the secrets each kind of stack needs", () => {
        const base = { vsphereServer: "vc", fileServerMode: "vm" };
        assert.deepStrictEqual(neededSecrets({ ...base, registryKind: "harbor" }), ["vspherePassword", "registryPassword"]);
        assert.deepStrictEqual(neededSecrets({ ...base, registryKind: "ecr" }), ["vspherePassword"]);
        assert.deepStrictEqual(neededSecrets({ ...base, registryKind: "generic", fileServerSshPublicKey: "ssh-ed25519 AAAA x" }), ["vspherePassword", "registryPassword", "fileServerSshPrivateKey"]);
        assert.deepStrictEqual(neededSecrets({ ...base, registryKind: "ecr", ovaSourceUsername: "reader" }), ["vspherePassword", "ovaSourcePassword"]);
    });

    it("asks for a second registry for the images once the imageRegistry* keys exist; its password only with its own user", () => {
        if (!CONFIG_KEYS.some((spec) => spec.key === "imageRegistryEndpoint")) {
            assert.ok(!ASKED_KEYS.includes("imageRegistryEndpoint"), "a question for an undeclared key would break every answer");
            return;
        }
        const user = QUESTIONS.find((question) => question.key === "imageRegistryUsername")!;
        assert.ok(!isAsked(user, { registryKind: "harbor" }), "not asked when the images share the packs registry");
        assert.ok(isAsked(user, { registryKind: "generic", imageRegistryEndpoint: "example.internal.com" }));
        // The procedure's own example: packs on 10.10.100.48, images on example.internal.com, each with its own user.
        const seed = {
            vsphereServer: "vcsa.lab.internal", vsphereUser: "palette@vsphere.local", datacenter: "dc", placement: "cluster", cluster: "c1", datastore: "ds", network: "VM Network",
            ovaSource: "/srv/palette/u-2204-0-k-12510-0.ova", registryKind: "generic", registryEndpoint: "10.10.100.48", registryUsername: "packs",
            imageRegistryEndpoint: "example.internal.com", imageRegistryUsername: "images", setupBinary: "/srv/palette/airgap-v4.2.13.bin", fileServerMode: "vm", fileServerTemplate: "ubuntu",
        };
        assert.deepStrictEqual(neededSecrets(seed).sort(), ["imageRegistryPassword", "registryPassword", "vspherePassword"]);
        assert.deepStrictEqual(answerProblems(seed), []);
        assert.ok(!neededSecrets({ ...seed, imageRegistryUsername: "" }).includes("imageRegistryPassword"), "without its own user the images registry uses the packs registry's password");
    });
});
