/**
 * The baseline program of bench/program.ts: loads the same SDKs as index.ts (@pulumi/pulumi,
 * @pulumi/aws, @pulumi/command, @pulumi/docker, all through their top-level modules) and registers
 * one component with one output, nothing else. bench/programWorker.ts runs it in place of index.ts
 * through the same harness (tests/support/stackHarness.ts runStack), so the difference between
 * the two is the cost of our program (config, components, resources), not of Node, ts-node, the
 * SDKs or the mock engine.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";

// Used as values so that TypeScript (transpile-only) keeps the three requires.
const loaded = [aws, command, docker].length;

class Trivial extends pulumi.ComponentResource {
    public readonly answer: pulumi.Output<string>;
    constructor(name: string) {
        super("palette-airgap:bench:Trivial", name, {});
        this.answer = pulumi.output(`sdks loaded: ${loaded}`);
        this.registerOutputs({ answer: this.answer });
    }
}

export = async () => {
    const trivial = new Trivial("baseline");
    return { answer: trivial.answer };
};
