/**
 * publishManifestsScript / unpublishManifestsScript: the script text, then the scripts run as the
 * component runs them (zip copied with scp as CopyToRemote would, script run over ssh) against a
 * real sshd, with a real nginx serving the web root, everything on 127.0.0.1.
 *
 * Debian packages: openssh-server (sshd; pulls openssh-client: ssh, scp, ssh-keygen),
 * nginx-light, zip, unzip.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    parsePublishedRelease,
    PUBLISH_FAILED_MARKER,
    PUBLISHED_MARKER,
    PublishSpec,
    publishManifestsScript,
    releasesDirOf,
    remoteBashCommand,
    unpublishManifestsScript,
    UNPUBLISHED_MARKER,
} from "../../components/fileserver/publishScript";
import { nginxAvailable, startNginx, TestNginx } from "../support/nginx";
import { RunResult, sshdAvailable, startSshd, TestSshd } from "../support/sshd";

const SHA_A = "a".repeat(64);

function bashSyntaxOk(script: string): void {
    const check = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    assert.strictEqual(check.status, 0, check.stderr);
}

/** Script lines that are code (not comments or blank). */
function codeLines(script: string): string[] {
    return script.split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
}

describe("publishManifestsScript: the script text", () => {
    const spec: PublishSpec = {
        zipPath: "/var/tmp/palette airgap/spectro-manifests-1712345678.zip",
        sha256: SHA_A.toUpperCase(),
        webRoot: "/srv/palette manifests's",
    };

    it("is valid bash, strict, deterministic, and quotes every value", () => {
        for (const sudo of [true, false]) {
            const script = publishManifestsScript({ ...spec, sudo });
            bashSyntaxOk(script);
            assert.match(script, /^#!\/usr\/bin\/env bash\n/);
            assert.match(script, /^set -euo pipefail$/m);
            assert.strictEqual(script, publishManifestsScript({ ...spec, sudo }), "same spec, same text");
            assert.ok(script.includes(`zip_path='/var/tmp/palette airgap/spectro-manifests-1712345678.zip'`));
            assert.ok(script.includes(`web_root='/srv/palette manifests'\\''s'`));
            assert.ok(script.includes(`releases_dir='/srv/palette manifests'\\''s.releases'`));
            assert.ok(script.includes(`expected_sha256='${SHA_A}'`), "the digest is lower-cased");
            assert.match(script, /^keep_releases=1$/m);
            assert.match(script, /mv -T -- "\$new_link" "\$web_root"/, "the swap is a rename of a new symlink over webRoot");
            assert.match(script, /PALETTE_AIRGAP_PUBLISHED \$release_dir/);
        }
        assert.match(publishManifestsScript({ ...spec, keepReleases: 3 }), /^keep_releases=3$/m);
        bashSyntaxOk(unpublishManifestsScript(spec));
        bashSyntaxOk(unpublishManifestsScript({ ...spec, sudo: false }));
    });

    it("sudo: true (the default) runs every privileged step through sudo -n; sudo: false never calls sudo", () => {
        const privileged = /\b(sha256sum|unzip|mkdir|chmod|rm|mv|ln|tee|find|readlink|cat|test)\b -/;
        for (const script of [publishManifestsScript(spec), unpublishManifestsScript(spec)]) {
            assert.match(script, /^as_root\(\) \{ sudo -n -- "\$@"; \}$/m);
            assert.match(script, /sudo -n true/, "checks passwordless sudo first");
            const direct = codeLines(script).filter((line) => privileged.test(line) && !/as_root (sha256sum|unzip|mkdir|chmod|rm|mv|ln|tee|find|readlink|cat|test)\b/.test(line));
            assert.deepStrictEqual(direct, [], "privileged commands outside as_root");
        }
        for (const script of [publishManifestsScript({ ...spec, sudo: false }), unpublishManifestsScript({ ...spec, sudo: false })]) {
            assert.match(script, /^as_root\(\) \{ "\$@"; \}$/m);
            assert.deepStrictEqual(codeLines(script).filter((line) => /\bsudo\b/.test(line)), []);
        }
    });

    it("refuses a bad spec, naming every problem at once", () => {
        assert.throws(
            () => publishManifestsScript({ zipPath: "spectro.zip", sha256: "abc", webRoot: "/srv/a/../b", keepReleases: -1 }),
            (error: Error) => {
                assert.match(error.message, /zipPath must be an absolute path/);
                assert.match(error.message, /sha256 must be 64 hex digits \(got "abc"\)/);
                assert.match(error.message, /webRoot must be a normalized path/);
                assert.match(error.message, /keepReleases must be an integer/);
                return true;
            },
        );
        for (const webRoot of ["/", "/srv", "/srv/site/", "relative/dir", "/srv/a\nb", ""]) {
            assert.throws(() => publishManifestsScript({ ...spec, webRoot }), /webRoot/, webRoot);
            assert.throws(() => unpublishManifestsScript({ webRoot }), /webRoot/, webRoot);
        }
        assert.throws(() => publishManifestsScript({ ...spec, keepReleases: 1.5 }), /keepReleases/);
    });

    it("helpers: the release line, the releases directory, the one-string command form", () => {
        assert.strictEqual(parsePublishedRelease(`x\n${PUBLISHED_MARKER}/srv/m.releases/abc-1\n`), "/srv/m.releases/abc-1");
        assert.strictEqual(parsePublishedRelease("nothing\n"), undefined);
        assert.strictEqual(releasesDirOf("/srv/palette-manifests"), "/srv/palette-manifests.releases");
        const command = remoteBashCommand("echo 'it''s'\n");
        const run = spawnSync("sh", ["-c", command], { encoding: "utf8" });
        assert.strictEqual(run.stdout, "its\n");
    });
});

describe("publishing the manifests zip over SSH, served by nginx (127.0.0.1)", function () {
    this.timeout(120_000);

    let sshd: TestSshd;
    let nginx: TestNginx;
    let base: string;
    let webRoot: string;
    let releasesDir: string;
    let zipNumber = 0;

    interface TestZip {
        local: string;
        sha256: string;
        versions: string;
    }

    before(async function () {
        const tools = ["zip", "unzip", "ssh", "scp", "ssh-keygen"].every((tool) => spawnSync("bash", ["-c", `command -v ${tool}`]).status === 0);
        const available = process.getuid?.() === 0 && sshdAvailable() && nginxAvailable() && tools;
        if (!available) {
            const message = "root, openssh-server (sshd, ssh, scp), nginx-light, zip and unzip are needed (apt-get install them)";
            if (process.env.CI) {
                throw new Error(message);
            }
            console.warn(`    skipped: ${message}`);
            this.skip();
        }
        base = fs.mkdtempSync(path.join(os.tmpdir(), "palette-fileserver-"));
        fs.chmodSync(base, 0o755); // nginx's workers (nobody, as www-data on the VM) traverse it
        fs.mkdirSync(path.join(base, "local"));
        fs.mkdirSync(path.join(base, "remote"));
        webRoot = path.join(base, "srv", "palette-manifests");
        releasesDir = releasesDirOf(webRoot);
        sshd = await startSshd();
        nginx = await startNginx({ root: webRoot });
    });

    after(async () => {
        await nginx?.stop();
        await sshd?.stop();
        if (base) fs.rmSync(base, { recursive: true, force: true });
    });

    /** A manifests zip built with the zip CLI; `layout` places versions.yaml (or not). */
    function makeZip(versions: string, options: { layout?: "top" | "nested" | "missing"; bulkFiles?: number } = {}): TestZip {
        zipNumber += 1;
        const content = path.join(base, "local", `content-${zipNumber}`);
        const top = options.layout === "nested" ? path.join(content, "spectro-manifests") : content;
        const nickfury = path.join(top, "roar", "nickfury");
        fs.mkdirSync(nickfury, { recursive: true });
        if (options.layout !== "missing") {
            fs.writeFileSync(path.join(nickfury, "versions.yaml"), versions);
            // a mode the web server's user could not read: the script makes the release readable
            fs.chmodSync(path.join(nickfury, "versions.yaml"), 0o600);
        }
        fs.mkdirSync(path.join(top, "roar", "packs"), { recursive: true });
        fs.writeFileSync(path.join(top, "roar", "packs", "index.json"), JSON.stringify({ zip: zipNumber }));
        for (let i = 0; i < (options.bulkFiles ?? 0); i += 1) {
            fs.writeFileSync(path.join(top, "roar", "packs", `pack-${i}.tgz`), crypto.randomBytes(32 * 1024));
        }
        const local = path.join(base, "local", `spectro-manifests-${1712345600 + zipNumber}.zip`);
        const zip = spawnSync("zip", ["-q", "-r", "-X", local, "."], { cwd: content, encoding: "utf8" });
        assert.strictEqual(zip.status, 0, zip.stderr);
        return { local, sha256: sha256Of(local), versions };
    }

    function sha256Of(file: string): string {
        return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    }

    /** As the component: CopyToRemote (scp) the zip, then the script over ssh on stdin (`bash -s`). */
    async function publish(zip: TestZip, options: Partial<PublishSpec> & { shell?: string; root?: string } = {}): Promise<RunResult> {
        const remote = path.join(base, "remote", path.basename(zip.local));
        await sshd.copy(zip.local, remote);
        const script = publishManifestsScript({
            zipPath: remote,
            sha256: zip.sha256,
            webRoot: options.root ?? webRoot,
            keepReleases: options.keepReleases,
            sudo: options.sudo ?? false,
        });
        return sshd.run(options.shell ?? "bash -s", script);
    }

    function assertPublished(result: RunResult): string {
        assert.strictEqual(result.code, 0, `publish failed:\n${result.stdout}\n${result.stderr}`);
        const release = parsePublishedRelease(result.stdout);
        assert.ok(release, result.stdout);
        return release;
    }

    async function get(urlPath: string, url = nginx.url): Promise<{ status: number; body: string }> {
        const response = await fetch(`${url}${urlPath}`);
        return { status: response.status, body: await response.text() };
    }

    async function assertServes(versions: string, url = nginx.url): Promise<void> {
        const response = await get("/roar/nickfury/versions.yaml", url);
        assert.strictEqual(response.status, 200, `GET versions.yaml: ${response.status}\n${nginx.logs()}`);
        assert.strictEqual(response.body, versions);
    }

    /** Release directories (names) and the sidecars, sorted. */
    function releases(dir = releasesDir): { dirs: string[]; other: string[] } {
        const entries = fs.readdirSync(dir, { withFileTypes: true });
        return {
            dirs: entries.filter((e) => e.isDirectory()).map((e) => e.name).sort(),
            other: entries.filter((e) => !e.isDirectory()).map((e) => e.name).sort(),
        };
    }

    function currentRelease(): string {
        const target = fs.readlinkSync(webRoot);
        assert.ok(!path.isAbsolute(target), `relative symlink: ${target}`);
        return path.join(path.dirname(webRoot), target);
    }

    let zipA: TestZip;
    let zipB: TestZip;

    it("publishes a zip: /roar/nickfury/versions.yaml is served from the swapped-in release", async () => {
        zipA = makeZip("# zip A\nversions:\n  - 4.2.13\n");
        const result = await publish(zipA);
        const release = assertPublished(result);
        assert.match(path.basename(release), new RegExp(`^${zipA.sha256.slice(0, 16)}-\\d+$`));
        assert.strictEqual(path.dirname(release), releasesDir);
        assert.ok(fs.lstatSync(webRoot).isSymbolicLink(), "webRoot is a symlink");
        assert.strictEqual(currentRelease(), release);
        assert.strictEqual(fs.readFileSync(`${release}.sha256`, "utf8").trim(), zipA.sha256);
        await assertServes(zipA.versions);
        const index = await get("/roar/packs/index.json");
        assert.strictEqual(index.status, 200);
        assert.deepStrictEqual(releases(), { dirs: [path.basename(release)], other: [`${path.basename(release)}.sha256`] });
    });

    it("publishing the same zip again is idempotent (also as one command string, without stdin)", async () => {
        const before = currentRelease();
        const again = await publish(zipA);
        assert.strictEqual(assertPublished(again), before);
        assert.match(again.stdout, /is already published/);
        const asCommand = remoteBashCommand(
            publishManifestsScript({ zipPath: path.join(base, "remote", path.basename(zipA.local)), sha256: zipA.sha256, webRoot, sudo: false }),
        );
        const third = await sshd.run(asCommand);
        assert.strictEqual(assertPublished(third), before);
        assert.strictEqual(currentRelease(), before);
        assert.strictEqual(releases().dirs.length, 1);
        await assertServes(zipA.versions);
    });

    it("switches to a new zip atomically: zero non-200 responses while nginx serves every few ms", async () => {
        zipB = makeZip("# zip B\nversions:\n  - 4.4.2\n", { bulkFiles: 200 });
        const seen: Array<{ status: number; body: string }> = [];
        let publishing = true;
        let afterDone = 0;
        const started = Date.now();
        const poller = (async () => {
            // bounded: stops 25 requests after the publish, or at 20 000 requests / 60 s
            while ((publishing || afterDone < 25) && seen.length < 20_000 && Date.now() - started < 60_000) {
                try {
                    seen.push(await get("/roar/nickfury/versions.yaml"));
                } catch (error) {
                    seen.push({ status: -1, body: String(error) });
                }
                if (!publishing) afterDone += 1;
                await new Promise((resolve) => setTimeout(resolve, 2));
            }
        })();
        let result: RunResult;
        try {
            result = await publish(zipB);
        } finally {
            publishing = false;
            await poller;
        }
        const release = assertPublished(result);
        const bad = seen.filter((r) => r.status !== 200);
        assert.deepStrictEqual(bad.slice(0, 5), [], `${bad.length} non-200 responses of ${seen.length}`);
        const kinds = seen.map((r) => (r.body === zipA.versions ? "A" : r.body === zipB.versions ? "B" : `other:${r.body}`));
        assert.deepStrictEqual(kinds.filter((k) => k !== "A" && k !== "B"), []);
        const firstB = kinds.indexOf("B");
        assert.ok(firstB > 0, `the old content was served first (${seen.length} requests)`);
        assert.ok(kinds.slice(firstB).every((k) => k === "B"), "once switched, only the new content");
        assert.ok(seen.length >= 30, `requests during the publish: ${seen.length}`);
        assert.strictEqual(currentRelease(), release);
        await assertServes(zipB.versions);
        assert.strictEqual(releases().dirs.length, 2, "keepReleases 1: the previous release is kept");
    });

    it("a sha256 mismatch fails naming both digests, and the old content stays served", async () => {
        const zipC = makeZip("# zip C\n");
        const before = releases();
        const remote = path.join(base, "remote", path.basename(zipC.local));
        await sshd.copy(zipC.local, remote);
        const truncated = await sshd.run(`truncate -s -100 '${remote}'`);
        assert.strictEqual(truncated.code, 0, truncated.stderr);
        const actual = sha256Of(remote);
        const result = await sshd.run("bash -s", publishManifestsScript({ zipPath: remote, sha256: zipC.sha256, webRoot, sudo: false }));
        assert.notStrictEqual(result.code, 0);
        assert.ok(result.stderr.includes(PUBLISH_FAILED_MARKER), result.stderr);
        assert.ok(result.stderr.includes(`expected ${zipC.sha256}`), result.stderr);
        assert.ok(result.stderr.includes(`got ${actual}`), result.stderr);
        assert.strictEqual(parsePublishedRelease(result.stdout), undefined);
        await assertServes(zipB.versions);
        assert.deepStrictEqual(releases(), before);
    });

    it("a zip without roar/nickfury/versions.yaml at its top level fails, and the old content stays served", async () => {
        const before = releases();
        const missing = await publish(makeZip("", { layout: "missing" }));
        assert.notStrictEqual(missing.code, 0);
        assert.match(missing.stderr, /is not a Palette manifests zip: it has no roar\/nickfury\/versions\.yaml/);
        const nested = await publish(makeZip("# nested\n", { layout: "nested" }));
        assert.notStrictEqual(nested.code, 0);
        assert.match(nested.stderr, /must be at its top level, it is at spectro-manifests\/roar\/nickfury\/versions\.yaml/);
        await assertServes(zipB.versions);
        assert.deepStrictEqual(releases(), before, "no staging directory or release left behind");
        assert.ok(!fs.existsSync(`${webRoot}.palette-airgap-new`));
    });

    it("keepReleases prunes the oldest releases beyond the current one", async () => {
        const zipF = makeZip("# zip F\n");
        const releaseF = path.basename(assertPublished(await publish(zipF, { keepReleases: 1 })));
        const releaseB = path.basename(fs.readdirSync(releasesDir).find((n) => n.startsWith(zipB.sha256.slice(0, 16)) && !n.endsWith(".sha256"))!);
        assert.deepStrictEqual(releases().dirs, [releaseB, releaseF].sort(), "the current one and one more");
        const zipG = makeZip("# zip G\n");
        const releaseG = path.basename(assertPublished(await publish(zipG, { keepReleases: 1 })));
        assert.deepStrictEqual(releases().dirs, [releaseF, releaseG].sort());
        const epochs = [releaseF, releaseG].map((n) => Number(n.split("-")[1]));
        assert.ok(epochs[1] > epochs[0], "a newer release has a greater epoch, even within one second");
        // the same zip with keepReleases 0: nothing to publish, only pruning
        assert.strictEqual(path.basename(assertPublished(await publish(zipG, { keepReleases: 0 }))), releaseG);
        assert.deepStrictEqual(releases(), { dirs: [releaseG], other: [`${releaseG}.sha256`] });
        const zipH = makeZip("# zip H\n");
        const releaseH = path.basename(assertPublished(await publish(zipH, { keepReleases: 2 })));
        assert.deepStrictEqual(releases().dirs, [releaseG, releaseH].sort());
        await assertServes(zipH.versions);
        zipB = zipH; // what is served now
    });

    it("sudo: true runs the privileged steps through sudo -n (a logging sudo first on PATH)", async () => {
        const fakeDir = path.join(base, "fake-sudo");
        const sudoLog = path.join(base, "sudo.log");
        fs.mkdirSync(fakeDir, { recursive: true });
        // stands in for passwordless sudo: logs the command, then runs it (we are root already)
        fs.writeFileSync(
            path.join(fakeDir, "sudo"),
            [
                "#!/bin/bash",
                `[ "$1" = -n ] || { echo "fake sudo: expected -n, got $1" >&2; exit 2; }`,
                "shift",
                `[ "\${1:-}" = -- ] && shift`,
                `printf '%s\\n' "$*" >>'${sudoLog}'`,
                `[ -e '${fakeDir}/deny' ] && { echo "sudo: a password is required" >&2; exit 1; }`,
                'exec "$@"',
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        const zipS = makeZip("# zip S (sudo)\n");
        const result = await publish(zipS, { sudo: true, shell: `PATH='${fakeDir}':"$PATH" bash -s` });
        assertPublished(result);
        await assertServes(zipS.versions);
        const calls = fs.readFileSync(sudoLog, "utf8").split("\n");
        for (const expected of [/^true$/, /^sha256sum -b -- /, /^unzip -q -o /, /^mv -T -- .*\.staging-/, /^ln -s -- /, /^mv -T -- .*palette-airgap-new /, /^chmod -R /, /^tee -- .*\.sha256$/]) {
            assert.ok(calls.some((line) => expected.test(line)), `sudo ${expected}: ${calls.join("\n")}`);
        }

        // a user without passwordless sudo: fails before touching anything
        fs.writeFileSync(path.join(fakeDir, "deny"), "");
        const before = releases();
        const denied = await publish(makeZip("# zip T\n"), { sudo: true, shell: `PATH='${fakeDir}':"$PATH" bash -s` });
        assert.notStrictEqual(denied.code, 0);
        assert.match(denied.stderr, /cannot run sudo without a password/);
        await assertServes(zipS.versions);
        assert.deepStrictEqual(releases(), before);
    });

    it("a real directory at webRoot is moved aside once, then replaced by the symlink", async () => {
        const root2 = path.join(base, "srv", "manual-manifests");
        fs.mkdirSync(path.join(root2, "roar", "nickfury"), { recursive: true });
        fs.writeFileSync(path.join(root2, "roar", "nickfury", "versions.yaml"), "# published by hand\n");
        const nginx2 = await startNginx({ root: root2 });
        try {
            await assertServes("# published by hand\n", nginx2.url);
            const zipM = makeZip("# zip M\n");
            const result = await publish(zipM, { root: root2 });
            assertPublished(result);
            assert.match(result.stdout, /moved the existing directory .* aside to .*manual-manifests\.pre-palette-airgap/);
            assert.ok(fs.lstatSync(root2).isSymbolicLink());
            await assertServes(zipM.versions, nginx2.url);
            assert.strictEqual(fs.readFileSync(path.join(`${root2}.pre-palette-airgap`, "roar", "nickfury", "versions.yaml"), "utf8"), "# published by hand\n");
            const zipN = makeZip("# zip N\n");
            const next = await publish(zipN, { root: root2 });
            assertPublished(next);
            assert.doesNotMatch(next.stdout, /moved the existing directory/);
            await assertServes(zipN.versions, nginx2.url);

            const unpublish = await sshd.run(remoteBashCommand(unpublishManifestsScript({ webRoot: root2, sudo: false })));
            assert.strictEqual(unpublish.code, 0, unpublish.stderr);
            assert.ok(fs.existsSync(`${root2}.pre-palette-airgap`), "the directory moved aside is kept");
        } finally {
            await nginx2.stop();
        }
    });

    it("unpublish removes the symlink and every release, and is idempotent", async () => {
        const command = remoteBashCommand(unpublishManifestsScript({ webRoot, sudo: false }));
        const first = await sshd.run(command);
        assert.strictEqual(first.code, 0, first.stderr);
        assert.ok(first.stdout.includes(`${UNPUBLISHED_MARKER}${webRoot}`), first.stdout);
        assert.ok(!fs.existsSync(webRoot) && !isLink(webRoot));
        assert.ok(!fs.existsSync(releasesDir));
        assert.strictEqual((await get("/roar/nickfury/versions.yaml")).status, 404);
        const second = await sshd.run(command);
        assert.strictEqual(second.code, 0, second.stderr);
        assert.ok(second.stdout.includes(`${UNPUBLISHED_MARKER}${webRoot}`));

        // and a webRoot this package did not make is left alone
        fs.mkdirSync(webRoot, { recursive: true });
        const foreign = await sshd.run(command);
        assert.strictEqual(foreign.code, 0, foreign.stderr);
        assert.match(foreign.stderr, /left .* in place: it is not a symlink made by palette-airgap/);
        assert.ok(fs.statSync(webRoot).isDirectory());
    });
});

function isLink(file: string): boolean {
    try {
        return fs.lstatSync(file).isSymbolicLink();
    } catch {
        return false;
    }
}
