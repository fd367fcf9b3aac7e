/**
 * The conditional requirements of CONFIG_KEYS (`requiredWhen`, shown in the README and followed
 * by the stack generator) agree with what loadConfig() really requires: each listed condition
 * makes the key required, and an optional key without one can be left out of every stack.
 */
import * as assert from "assert";
import { CONFIG_KEYS, ConfigCondition, configKey, describeConditions } from "../../components/configKeys";
import { KeyProblem, configProblems } from "../../scripts/configProblems";
import { readStackConfig, secretsFor, stackNames } from "../support/stackHarness";

const SECRET_PLACEHOLDER = "placeholder-secret";

interface Values {
    plain: Record<string, unknown>;
    secrets: Record<string, string>;
}

function stackValues(stack: string): Values {
    return { plain: readStackConfig(stack), secrets: secretsFor(stack) };
}

function valueOf(values: Values, key: string): unknown {
    return configKey(key).secret ? values.secrets[key] : (values.plain[key] ?? configKey(key).default);
}

const isSet = (value: unknown) => value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0);

function holds(values: Values, condition: ConfigCondition): boolean {
    const value = valueOf(values, condition.key);
    return condition.in ? condition.in.includes(String(value)) : isSet(value) === (condition.set ?? true);
}

/** A copy of `values` where `condition` holds, changing as little as possible. */
function withCondition(values: Values, condition: ConfigCondition): Values {
    const next: Values = { plain: { ...values.plain }, secrets: { ...values.secrets } };
    const spec = configKey(condition.key);
    if (condition.in) {
        next.plain[condition.key] = condition.in[0];
    } else if (condition.set === false) {
        delete next.plain[condition.key];
        delete next.secrets[condition.key];
    } else if (!isSet(valueOf(next, condition.key))) {
        if (spec.secret) next.secrets[condition.key] = SECRET_PLACEHOLDER;
        else next.plain[condition.key] = spec.example;
    }
    return next;
}

function without(values: Values, key: string): Values {
    const next: Values = { plain: { ...values.plain }, secrets: { ...values.secrets } };
    delete next.plain[key];
    delete next.secrets[key];
    return next;
}

const mentions = (problems: KeyProblem[], key: string) => problems.filter((problem) => problem.key === key || new RegExp(`\\b${key}\\b`).test(problem.message));

describe("config keys: requiredWhen agrees with loadConfig()", function () {
    this.timeout(30000);

    it("every stack file is valid as it is (the bases the cases below start from)", () => {
        for (const stack of stackNames()) {
            const { plain, secrets } = stackValues(stack);
            assert.deepStrictEqual(configProblems(plain, secrets), [], stack);
        }
    });

    const conditional = CONFIG_KEYS.filter((spec) => spec.requiredWhen);
    it("the table has conditional requirements for registries, placement and the file server", () => {
        for (const key of ["ecrRegion", "registryEndpoint", "registryPassword", "fileServerTemplate", "fileServerDockerHost", "fileServerSshPublicKey", "fileServerSshPrivateKey", "cluster"]) {
            assert.ok(configKey(key).requiredWhen, `${key} has no requiredWhen`);
        }
    });

    for (const spec of conditional) {
        const conditions = spec.requiredWhen!;
        // Every value of every `in` condition is a case of its own (harbor and generic, ...).
        const variants = new Map<string, ConfigCondition[]>();
        conditions.forEach((condition, index) => {
            for (const value of condition.in ?? [undefined]) {
                const variant = conditions.map((c, i) => (i === index && value !== undefined ? { ...c, in: [value] } : c.in ? { ...c, in: [c.in[0]] } : c));
                variants.set(describeConditions(variant), variant);
            }
        });
        for (const [label, variant] of variants) {
            it(`${spec.key} is required when ${label}`, () => {
                // Start from the stack file that already meets the most conditions.
                const bases = stackNames().map(stackValues);
                let values = bases.sort((a, b) => variant.filter((c) => !holds(a, c)).length - variant.filter((c) => !holds(b, c)).length)[0];
                for (const condition of variant) {
                    if (!holds(values, condition)) values = withCondition(values, condition);
                }
                const problems = configProblems(without(values, spec.key).plain, without(values, spec.key).secrets);
                assert.ok(mentions(problems, spec.key).length > 0, `loadConfig() accepts a stack without ${spec.key} when ${label}: ${JSON.stringify(problems)}`);
            });
        }
    }

    it("an optional key without requiredWhen can be left out of every stack file", () => {
        for (const stack of stackNames()) {
            const values = stackValues(stack);
            for (const spec of CONFIG_KEYS) {
                if (spec.default === undefined || spec.requiredWhen || !isSet(valueOf(values, spec.key))) continue;
                const reduced = without(values, spec.key);
                assert.deepStrictEqual(mentions(configProblems(reduced.plain, reduced.secrets), spec.key).filter((p) => p.key === spec.key), [], `${stack} without ${spec.key}`);
            }
        }
    });
});
