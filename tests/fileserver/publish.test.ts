/**
 * publishManifestsScript / unpublishManifestsScript: the script text, then the scripts run as the
 * component runs them (zip copied by ./copyScript's bounded copy, script run over ssh) against a
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
    MAX_ZIP_ENTRIES,
    OWNER_MARKER,
    releasesDirOf,
    remoteBashCommand,
    unpublishManifestsScript,
    UNPUBLISHED_MARKER,
} from "../../components/fileserver/publishScript";
import { runCopy } from "../support/copyRun";
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
        assert.match(command, /^timeout --kill-after=30 1800 bash -c /, "bounded: 30 minutes by default");
        const failing = spawnSync("sh", ["-c", remoteBashCommand("echo out; exit 3")], { encoding: "utf8" });
        assert.deepStrictEqual([failing.status, failing.stdout, failing.stderr], [3, "out\n", ""], "a failure keeps its status and says nothing more");
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

    /** As the component: the copy script puts the zip on the server, then the script runs over ssh on stdin (`bash -s`). */
    async function publish(zip: TestZip, options: Partial<PublishSpec> & { shell?: string; root?: string } = {}): Promise<RunResult> {
        const remote = path.join(base, "remote", path.basename(zip.local));
        const copied = await runCopy(
            { localFile: zip.local, sha256: zip.sha256, host: sshd.host, user: sshd.user, port: sshd.port, remotePath: remote, credentialKeys: "fileServerSshPrivateKey" },
            { privateKey: sshd.privateKey },
        );
        assert.strictEqual(copied.code, 0, `copy failed:\n${copied.stderr}`);
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

    /** Release directories (names) and the sidecars, sorted; the owner marker must be there and is left out. */
    function releases(dir = releasesDir): { dirs: string[]; other: string[] } {
        assert.ok(fs.existsSync(path.join(dir, OWNER_MARKER)), `${dir} holds the owner marker`);
        const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.name !== OWNER_MARKER);
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

    describe("hostile zips are refused before anything is unpacked, naming the entry; the current release stays served (issue 9, item 2)", () => {
        /** Entries added to a good manifests zip with Python's zipfile: [name, unix mode (type and permissions), content]. */
        type Entry = [string, number, string];
        const S_IFREG = 0o100000;

        // Nested suites run after the tests above (unpublish included): serve a release of their own.
        before(async () => {
            zipB = makeZip("# zip served while hostile zips are refused\n");
            assertPublished(await publish(zipB));
        });
        const HOSTILE: { label: string; entries?: Entry[]; symlinks?: Record<string, string>; message: RegExp }[] = [
            { label: "a symlink to /etc (GET /roar/leak/passwd would serve the server's passwd)", symlinks: { "roar/leak": "/etc" }, message: /roar\/leak \(a symbolic link\)/ },
            { label: "versions.yaml as a symlink to /etc/hostname", symlinks: { "roar/nickfury/versions.yaml": "/etc/hostname" }, message: /roar\/nickfury\/versions\.yaml \(a symbolic link\)/ },
            { label: "a relative symlink out of the release", symlinks: { "roar/up": "../../../.." }, message: /roar\/up \(a symbolic link\)/ },
            { label: "a symlink that stays inside the release", symlinks: { "roar/alias.yaml": "nickfury/versions.yaml" }, message: /roar\/alias\.yaml \(a symbolic link\)/ },
            { label: "a character device", entries: [["roar/null", 0o020666, ""]], message: /roar\/null \(a device file\)/ },
            { label: "a block device", entries: [["roar/disk", 0o060660, ""]], message: /roar\/disk \(a device file\)/ },
            { label: "a FIFO", entries: [["roar/pipe", 0o010644, ""]], message: /roar\/pipe \(a FIFO\)/ },
            { label: "a socket", entries: [["roar/sock", 0o140755, ""]], message: /roar\/sock \(a socket\)/ },
            { label: "a name climbing out with ../", entries: [["../../escaped.txt", S_IFREG | 0o644, "x"]], message: /\.\.\/\.\.\/escaped\.txt \(a name that climbs out with \.\.\)/ },
            { label: "a name climbing out with ..\\ (Windows separators)", entries: [["roar\\..\\..\\win.txt", S_IFREG | 0o644, "x"]], message: /win\.txt \(a name that climbs out with \.\.\)/ },
            { label: "an absolute name", entries: [["/etc/cron.d/evil", S_IFREG | 0o644, "x"]], message: /\/etc\/cron\.d\/evil \(an absolute name\)/ },
        ];

        /** A good manifests zip (zip CLI, -y keeps symlinks as links) plus hostile entries written by Python's zipfile. */
        function hostileZip(entries: Entry[] = [], symlinks: Record<string, string> = {}): TestZip {
            zipNumber += 1;
            const content = path.join(base, "local", `hostile-${zipNumber}`);
            fs.mkdirSync(path.join(content, "roar", "nickfury"), { recursive: true });
            if (!("roar/nickfury/versions.yaml" in symlinks)) {
                fs.writeFileSync(path.join(content, "roar", "nickfury", "versions.yaml"), `# hostile ${zipNumber}\n`);
            }
            for (const [link, target] of Object.entries(symlinks)) {
                fs.symlinkSync(target, path.join(content, link));
            }
            const local = path.join(base, "local", `spectro-manifests-hostile-${zipNumber}.zip`);
            const zip = spawnSync("zip", ["-q", "-r", "-y", "-X", local, "."], { cwd: content, encoding: "utf8" });
            assert.strictEqual(zip.status, 0, zip.stderr);
            addEntries(local, entries);
            return { local, sha256: sha256Of(local), versions: "" };
        }

        function addEntries(zipFile: string, entries: Entry[]): void {
            if (entries.length === 0) return;
            const program = [
                "import json, sys, zipfile",
                "with zipfile.ZipFile(sys.argv[1], 'a') as z:",
                "    for name, mode, data in json.loads(sys.stdin.read()):",
                "        info = zipfile.ZipInfo(name)",
                "        info.create_system = 3",
                "        info.external_attr = mode << 16",
                "        z.writestr(info, data)",
            ].join("\n");
            const result = spawnSync("/usr/bin/python3", ["-c", program, zipFile], { input: JSON.stringify(entries), encoding: "utf8" });
            assert.strictEqual(result.status, 0, result.stderr);
        }

        for (const hostile of HOSTILE) {
            it(`refuses ${hostile.label}`, async () => {
                const before = releases();
                const served = fs.readlinkSync(webRoot);
                const result = await publish(hostileZip(hostile.entries, hostile.symlinks));
                assert.notStrictEqual(result.code, 0, result.stdout);
                assert.ok(result.stderr.includes(PUBLISH_FAILED_MARKER), result.stderr);
                assert.match(result.stderr, hostile.message);
                assert.match(result.stderr, /Nothing was changed: the current release stays served/);
                assert.strictEqual(parsePublishedRelease(result.stdout), undefined);
                assert.strictEqual(fs.readlinkSync(webRoot), served, "the web root link is unchanged");
                assert.deepStrictEqual(releases(), before, "no release or staging directory left behind");
                await assertServes(zipB.versions);
                assert.ok(!fs.existsSync(path.join(base, "escaped.txt")) && !fs.existsSync("/etc/cron.d/evil"), "nothing was written outside");
            });
        }

        it("refuses every hostile entry of one zip at once, naming the first ten and counting the rest", async () => {
            const entries: Entry[] = Array.from({ length: 14 }, (_, i) => [`roar/dev-${i}`, 0o020666, ""] as Entry);
            const result = await publish(hostileZip(entries, { "roar/leak": "/etc" }));
            assert.notStrictEqual(result.code, 0);
            assert.match(result.stderr, /roar\/leak \(a symbolic link\); roar\/dev-0 \(a device file\);/);
            assert.match(result.stderr, /\.\.\. and 5 more/);
            await assertServes(zipB.versions);
        });

        it(`refuses a zip of more than ${MAX_ZIP_ENTRIES} entries before unpacking any`, async function () {
            this.timeout(180_000);
            const zip = hostileZip();
            const program = [
                "import sys, zipfile",
                "with zipfile.ZipFile(sys.argv[1], 'a', zipfile.ZIP_STORED) as z:",
                `    for i in range(${MAX_ZIP_ENTRIES}):`,
                "        info = zipfile.ZipInfo('roar/many/%06d' % i)",
                "        info.create_system = 3",
                "        info.external_attr = 0o100644 << 16",
                "        z.writestr(info, b'')",
            ].join("\n");
            const made = spawnSync("/usr/bin/python3", ["-c", program, zip.local], { encoding: "utf8" });
            assert.strictEqual(made.status, 0, made.stderr);
            zip.sha256 = sha256Of(zip.local);
            const before = releases();
            const result = await publish(zip);
            assert.notStrictEqual(result.code, 0);
            assert.match(result.stderr, new RegExp(`holds ${MAX_ZIP_ENTRIES + 3} entries, more than the ${MAX_ZIP_ENTRIES} a manifests zip may hold`));
            assert.deepStrictEqual(releases(), before);
            await assertServes(zipB.versions);
        });
    });

    describe("publish replaces only what it made (issue 9, item 4)", () => {
        /** A fresh web root under base/<name>, served by its own nginx for the duration of fn. */
        async function withRoot(name: string, fn: (root: string, nginx2: TestNginx) => Promise<void>): Promise<void> {
            const root = path.join(base, "roots", name);
            fs.mkdirSync(path.dirname(root), { recursive: true });
            fs.chmodSync(path.dirname(root), 0o755);
            const nginx2 = await startNginx({ root });
            try {
                await fn(root, nginx2);
            } finally {
                await nginx2.stop();
            }
        }

        /** Every file under dir with its content (or link target), to show nothing changed. */
        function snapshot(dir: string): Record<string, string> {
            const out: Record<string, string> = {};
            const walk = (at: string) => {
                for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
                    const full = path.join(at, entry.name);
                    if (entry.isSymbolicLink()) out[full] = `-> ${fs.readlinkSync(full)}`;
                    else if (entry.isDirectory()) walk(full);
                    else out[full] = fs.readFileSync(full, "utf8");
                }
            };
            walk(dir);
            return out;
        }

        it("a home directory as web root (authorized_keys inside): nothing changes and the message says why", async () => {
            await withRoot("ubuntu", async (root) => {
                fs.mkdirSync(path.join(root, ".ssh"), { recursive: true });
                fs.writeFileSync(path.join(root, ".ssh", "authorized_keys"), "ssh-ed25519 AAAA ops@lab\n");
                fs.writeFileSync(path.join(root, ".bashrc"), "# mine\n");
                const before = snapshot(path.dirname(root));
                const result = await publish(makeZip("# zip home\n"), { root });
                assert.notStrictEqual(result.code, 0);
                assert.match(result.stderr, new RegExp(`${root} is a directory holding files palette-airgap did not put there \\(.*\\.ssh.*\\); nothing was changed`));
                assert.deepStrictEqual(snapshot(path.dirname(root)), before, "not a file moved, added or removed");
                assert.ok(!fs.existsSync(releasesDirOf(root)) && !fs.existsSync(`${root}.pre-palette-airgap`));
            });
        });

        it("a link it did not make (as /bin -> usr/bin): left alone, named in the message", async () => {
            await withRoot("bin", async (root) => {
                fs.mkdirSync(path.join(base, "roots", "usr-bin"), { recursive: true });
                fs.writeFileSync(path.join(base, "roots", "usr-bin", "sh"), "#!/bin/true\n");
                fs.symlinkSync("usr-bin", root);
                const before = snapshot(path.dirname(root));
                const result = await publish(makeZip("# zip bin\n"), { root });
                assert.notStrictEqual(result.code, 0);
                assert.match(result.stderr, new RegExp(`${root} is a link to usr-bin, which palette-airgap did not make; nothing was changed`));
                assert.deepStrictEqual(snapshot(path.dirname(root)), before);
                // A link shaped like ours but climbing out with .. is not ours either.
                fs.rmSync(root);
                fs.symlinkSync(`${path.basename(root)}.releases/../usr-bin`, root);
                const climbing = await publish(makeZip("# zip bin 2\n"), { root });
                assert.notStrictEqual(climbing.code, 0);
                assert.match(climbing.stderr, /which palette-airgap did not make/);
                assert.strictEqual(fs.readlinkSync(root), `${path.basename(root)}.releases/../usr-bin`);
            });
        });

        it("a releases directory it did not make (no marker, other content) is refused, and unpublish leaves it", async () => {
            await withRoot("foreign-releases", async (root) => {
                fs.mkdirSync(releasesDirOf(root));
                fs.writeFileSync(path.join(releasesDirOf(root), "database.sqlite"), "precious\n");
                const before = snapshot(path.dirname(root));
                const result = await publish(makeZip("# zip foreign\n"), { root });
                assert.notStrictEqual(result.code, 0);
                assert.match(result.stderr, /\.releases exists and was not made by palette-airgap \(no \.palette-airgap in it; it holds: database\.sqlite/);
                assert.deepStrictEqual(snapshot(path.dirname(root)), before);
                const unpublish = await sshd.run(remoteBashCommand(unpublishManifestsScript({ webRoot: root, sudo: false })));
                assert.strictEqual(unpublish.code, 0, unpublish.stderr);
                assert.match(unpublish.stderr, /left .*\.releases in place: it was not made by palette-airgap/);
                assert.deepStrictEqual(snapshot(path.dirname(root)), before);
            });
        });

        it("a file at the temporary link's path is not removed", async () => {
            await withRoot("tmp-link", async (root) => {
                fs.writeFileSync(`${root}.palette-airgap-new`, "someone's file\n");
                const result = await publish(makeZip("# zip tmp\n"), { root });
                assert.notStrictEqual(result.code, 0);
                assert.match(result.stderr, /palette-airgap-new exists and is not the temporary link palette-airgap makes/);
                assert.strictEqual(fs.readFileSync(`${root}.palette-airgap-new`, "utf8"), "someone's file\n");
            });
        });

        it("an empty directory at the web root (e.g. made by hand or by a mount) is replaced by the release link", async () => {
            await withRoot("empty", async (root, nginx2) => {
                fs.mkdirSync(root);
                const zipE = makeZip("# zip empty\n");
                const release = assertPublished(await publish(zipE, { root }));
                assert.ok(fs.lstatSync(root).isSymbolicLink());
                assert.ok(fs.existsSync(path.join(releasesDirOf(root), OWNER_MARKER)), "the releases directory carries the marker");
                assert.strictEqual(path.dirname(release), releasesDirOf(root));
                await assertServes(zipE.versions, nginx2.url);
            });
        });

        it("releases made by an earlier version (no marker, only releases) are adopted and marked", async () => {
            await withRoot("earlier", async (root, nginx2) => {
                const zipOld = makeZip("# zip old\n");
                assertPublished(await publish(zipOld, { root }));
                fs.rmSync(path.join(releasesDirOf(root), OWNER_MARKER));
                const zipNew = makeZip("# zip new\n");
                assertPublished(await publish(zipNew, { root }));
                assert.ok(fs.existsSync(path.join(releasesDirOf(root), OWNER_MARKER)));
                await assertServes(zipNew.versions, nginx2.url);
                fs.rmSync(path.join(releasesDirOf(root), OWNER_MARKER));
                const unpublish = await sshd.run(remoteBashCommand(unpublishManifestsScript({ webRoot: root, sudo: false })));
                assert.strictEqual(unpublish.code, 0, unpublish.stderr);
                assert.ok(!fs.existsSync(releasesDirOf(root)) && !isLink(root), "unpublish removes adopted releases too");
            });
        });
    });

    it("a publish that hangs on the server (here: sudo never returns) is stopped at its time limit, with a message", async () => {
        const fakeDir = path.join(base, "hanging-sudo");
        fs.mkdirSync(fakeDir, { recursive: true });
        // The first call hangs; later ones (the cleanup after the stop) run the command.
        fs.writeFileSync(
            path.join(fakeDir, "sudo"),
            `#!/bin/bash\nif mkdir '${fakeDir}/hung' 2>/dev/null; then exec sleep 613; fi\nshift; [ "$1" = -- ] && shift; exec "$@"\n`,
            { mode: 0o755 },
        );
        const zipH = makeZip("# zip hang\n");
        const remote = path.join(base, "remote", path.basename(zipH.local));
        await sshd.copy(zipH.local, remote);
        const script = publishManifestsScript({ zipPath: remote, sha256: zipH.sha256, webRoot, sudo: true });
        const result = await sshd.run(`PATH='${fakeDir}':"$PATH"; export PATH; ${remoteBashCommand(script, 2)}`);
        assert.strictEqual(result.code, 124, result.stderr.slice(-300));
        assert.match(result.stderr, new RegExp(`${PUBLISH_FAILED_MARKER}no result within 2 s on \\S+: the script was stopped`));
        assert.ok(!fs.readdirSync("/proc").some((p) => /^\d+$/.test(p) && readCmdline(p) === "sleep 613"), "the hanging step was stopped too");
    });

    it("the unpublish of a replaced publish (its older zip's sha256) leaves the newer release served and removes only its own", async () => {
        // pulumi replaces the publish Command by creating the new one first: the old one's delete
        // then runs while the new zip is served (found by the real CLI: the web root went 404).
        const older = makeZip("# replaced zip\nversions:\n  - 4.2.12\n");
        assertPublished(await publish(older));
        const newer = makeZip("# replacing zip\nversions:\n  - 4.2.13\n");
        const served = assertPublished(await publish(newer, { keepReleases: 5 }));
        assert.ok(releases().dirs.some((name) => name.startsWith(older.sha256.slice(0, 16))), "the older release should still be there before its unpublish");
        const unpublish = await sshd.run(remoteBashCommand(unpublishManifestsScript({ webRoot, sudo: false, sha256: older.sha256 })));
        assert.strictEqual(unpublish.code, 0, unpublish.stderr);
        assert.match(unpublish.stdout, /left .* in place: it serves .*, a newer release than this one/);
        assert.strictEqual(currentRelease(), served);
        await assertServes(newer.versions);
        assert.deepStrictEqual(releases().dirs.filter((name) => name.startsWith(older.sha256.slice(0, 16))), []);
        assert.deepStrictEqual(releases().other.filter((name) => name.startsWith(older.sha256.slice(0, 16))), []);
        // with the served zip's own sha256, the unpublish is a whole one (the next test's subject)
        assert.ok(unpublishManifestsScript({ webRoot, sudo: false, sha256: newer.sha256 }).includes(newer.sha256.slice(0, 16)));
        assert.throws(() => unpublishManifestsScript({ webRoot, sha256: "abc" }), /sha256 must be 64 hex digits/);
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

function readCmdline(pid: string): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    } catch {
        return "";
    }
}

function isLink(file: string): boolean {
    try {
        return fs.lstatSync(file).isSymbolicLink();
    } catch {
        return false;
    }
}
