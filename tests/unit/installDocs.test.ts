/**
 * README's offline install steps name the provider plugins, at exact versions, that the package
 * needs besides its own: vSphere at VSPHERE_PROVIDER_VERSION (components/vsphere/vsphereSdk.ts),
 * Command, Docker and AWS at the versions of the SDKs in package-lock.json, which are the
 * versions their resources ask the engine for. In an air gap a wrong version in these commands
 * means a failed `pulumi up` far from any download, so the test reads the README and the two
 * sources of truth, and fails when one moves without the other.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The plugin versions the code asks for: plugin name -> version. */
function requiredPlugins(): Record<string, string> {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    const vsphere = /^export const VSPHERE_PROVIDER_VERSION = "([^"]+)";$/m.exec(fs.readFileSync(path.join(ROOT, "components", "vsphere", "vsphereSdk.ts"), "utf8"));
    assert.ok(vsphere, "VSPHERE_PROVIDER_VERSION not found in vsphereSdk.ts (scripts/up.sh reads it the same way)");
    const sdk = (name: string) => {
        const version = lock.packages[`node_modules/@pulumi/${name}`]?.version;
        assert.ok(version, `@pulumi/${name} is not in package-lock.json`);
        return version as string;
    };
    return { vsphere: vsphere![1], command: sdk("command"), docker: sdk("docker"), aws: sdk("aws") };
}

/** The text of the README from the line starting with `start` up to the next line starting with `end`. */
function section(start: string, end: RegExp): string {
    const from = README.split("\n").findIndex((line) => line.startsWith(start));
    assert.ok(from >= 0, `README has no "${start}"`);
    const lines = README.split("\n").slice(from + 1);
    const to = lines.findIndex((line) => end.test(line));
    return lines.slice(0, to < 0 ? undefined : to).join("\n");
}

/** `pulumi plugin install resource <name> <version> --file <tarball>` commands: name -> version, with the tarball name checked. */
function installCommands(text: string): Record<string, string> {
    const found: Record<string, string> = {};
    for (const match of text.matchAll(/^pulumi plugin install resource (\S+) (\S+) --file (\S+)/gm)) {
        const [, name, version, file] = match;
        assert.strictEqual(file, `pulumi-resource-${name}-v${version}-linux-amd64.tar.gz`, `the tarball of ${name} ${version} is misnamed`);
        assert.ok(!(name in found) || found[name] === version, `${name} is installed at two versions`);
        found[name] = version;
    }
    return found;
}

describe("README: offline plugin install steps match the versions the code asks for", function () {
    const required = requiredPlugins();

    it('"In another project, offline" installs the package plugin and every plugin Construct needs, at those versions', function () {
        const commands = installCommands(section("**In another project, offline**", /^\*\*Other languages\*\*/));
        const { "palette-airgap": own, ...others } = commands;
        assert.strictEqual(own, JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version, "the package's own plugin at the package version");
        assert.deepStrictEqual(others, required);
    });

    it('"Bringing Pulumi into the air gap" installs the same plugins at the same versions', function () {
        assert.deepStrictEqual(installCommands(section("### Bringing Pulumi into the air gap", /^##? /)), required);
    });

    it("the requirements list states the same versions", function () {
        const requirements = section("## Prerequisites", /^### /).replace(/\s+/g, " ");
        for (const [name, version] of Object.entries(required)) {
            assert.ok(requirements.includes(`\`${name}\` ${version}`), `Prerequisites do not state \`${name}\` ${version}`);
        }
    });
});
