/**
 * The stack generator's questions against CONFIG_KEYS: every key a stack must set is asked, so a
 * generated file can always pass loadConfig(); secrets are never asked.
 */
import * as assert from "assert";
import { CONFIG_KEYS, configKey } from "../../components/configKeys";
import { ASKED_KEYS, QUESTIONS, neededSecrets } from "../../scripts/stackGenerator";

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
});
