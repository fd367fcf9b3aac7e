/**
 * A secret sweep over every stack file: the program runs under the SDK's mock engine with known
 * secret values, and none of them may appear in plain text in any resource input, any command
 * script (what runs on a command line), any serialized dynamic provider, or any non-secret output.
 * Each secret must still reach the resources that need it, as a secret: the sweep is not vacuous.
 */
import * as assert from "assert";
import { RegisteredResource, TEST_SECRETS, runStack, secretsFor, stackNames } from "../support/stackHarness";
import { unwrapSecrets, withoutSecrets } from "../support/secretWire";

const SCRIPT_INPUTS = ["create", "update", "delete"];

function plainText(resource: RegisteredResource): string {
    return JSON.stringify(withoutSecrets(resource.wireInputs));
}

describe("secret sweep over every stack file (program under the SDK's mock engine)", () => {
    it("covers the vSphere, both registry and SSH secrets: some stack file needs each one", () => {
        const swept = new Set(stackNames().flatMap((stack) => Object.keys(secretsFor(stack))));
        for (const key of ["vspherePassword", "registryPassword", "imageRegistryPassword", "fileServerSshPrivateKey"]) {
            assert.ok(swept.has(key), `no stack file needs ${key}: the sweep does not cover it`);
        }
    });

    for (const stack of stackNames()) {
        it(`${stack}: no secret in plain text anywhere; every secret delivered as a secret`, async () => {
            const secrets = { ...secretsFor(stack) };
            const run = await runStack(stack, { secrets });
            const known = Object.entries({ ...secrets, tlsKey: TEST_SECRETS.tlsKeyMarker });
            for (const resource of run.resources) {
                const plain = plainText(resource);
                for (const [key, value] of known) {
                    assert.ok(!plain.includes(value), `${stack}: ${key} in plain text in ${resource.type} ${resource.name}`);
                }
                for (const input of SCRIPT_INPUTS) {
                    const script = resource.inputs[input];
                    if (typeof script === "string") {
                        for (const [key, value] of known) {
                            assert.ok(!script.includes(value), `${stack}: ${key} in the ${input} script of ${resource.name}`);
                        }
                    }
                }
            }
            for (const [name, value] of Object.entries(run.outputs)) {
                if (!run.secretOutputs.includes(name)) {
                    for (const [key, secret] of known) {
                        assert.ok(!JSON.stringify(value ?? null).includes(secret), `${stack}: ${key} in plain output ${name}`);
                    }
                }
            }
            // Not vacuous: each configured secret reaches at least one resource, as a secret.
            for (const [key, value] of Object.entries(secrets)) {
                const carriers = run.resources.filter((resource) => resource.secretPaths.length > 0 && JSON.stringify(unwrapSecrets(resource.wireInputs)).includes(JSON.stringify(value).slice(1, -1)));
                assert.ok(carriers.length > 0, `${stack}: ${key} reaches no resource as a secret`);
            }
        });
    }
});
