/**
 * The OVA forms vCenter accepts (disks in a subdirectory, chunked files, files of CD-ROM and NVRAM
 * devices, tars written by GNU tar in ustar, pax and gnu formats) and the ones that must be refused
 * before anything is created (a vApp, OVF 0.9, `ovf:size` that lies, unsafe entries), first through
 * the reader, then imported into vcsim through the OvaTemplate provider's own functions. Every
 * error names the OVA and the entry or the descriptor; no failure leaves a VM behind.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { OvaFile, OvaFormatError, OvaIntegrityError, openOva, parseOvfDescriptor } from "../../components/vsphere/ovaArchive";
import { ovaTemplateProvider, type OvaTemplateInputs, type OvaTemplateOutputs } from "../../components/vsphere/ovaTemplateProvider";
import { VsphereSoapClient } from "../../components/vsphere/soapClient";
import type { ManagedObjectRef } from "../../components/vsphere/vimTypes";
import { buildTestOva, TestOva } from "../support/ovaBuilder";
import { callPlugin, PluginProcess } from "../support/plugin";
import { startVcsim, Vcsim, VCSIM_HOOK_TIMEOUT_MS } from "../support/vcsim";

const MiB = 1024 * 1024;
const FOLDER = "spectro-templates";

async function sha256OfFile(file: OvaFile): Promise<{ sha256: string; bytes: number }> {
    const h = createHash("sha256");
    let bytes = 0;
    for await (const segment of file.segments()) {
        h.update(segment.data);
        bytes += segment.data.length;
        segment.release();
    }
    return { sha256: h.digest("hex"), bytes };
}

/** Serves one file over HTTP on 127.0.0.1 (no header walk: the streaming checks alone). */
async function serve(file: string): Promise<{ url: string; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
        res.writeHead(200, { "content-length": String(fs.statSync(file).size) });
        fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${path.basename(file)}`,
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}

/** `<Envelope>` with the VirtualSystem wrapped in a VirtualSystemCollection (a vApp). */
function asVapp(xml: string): string {
    return xml
        .replace("<VirtualSystem ", '<VirtualSystemCollection ovf:id="vapp"><Info>A vApp</Info><VirtualSystem ')
        .replace("</VirtualSystem>", "</VirtualSystem></VirtualSystemCollection>");
}

/** The same descriptor as OVF 0.9 writes it: typed Section and Content elements. */
function asOvf09(xml: string): string {
    return xml
        .replace('xmlns="http://schemas.dmtf.org/ovf/envelope/1"', 'xmlns="http://www.vmware.com/schema/ovf/1/envelope" ovf:version="0.9"')
        .replace("<DiskSection>", '<Section xsi:type="ovf:DiskSection_Type">')
        .replace("</DiskSection>", "</Section>")
        .replace("<NetworkSection>", '<Section xsi:type="ovf:NetworkSection_Type">')
        .replace("</NetworkSection>", "</Section>")
        .replace(/<VirtualSystem ovf:id="([^"]+)">/, '<Content xsi:type="ovf:VirtualSystem_Type" ovf:id="$1">')
        .replace("</VirtualSystem>", "</Content>");
}

describe("OVA forms vCenter accepts, and those refused before anything is created", function () {
    this.timeout(240_000);
    let dir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ova-formats-"));
    });
    after(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("reader", () => {
        it("reads disks stored in a subdirectory of the package (ovf:href=\"disks/...\")", async () => {
            const ova = await buildTestOva(path.join(dir, "subdir"), { diskDir: "disks", diskCount: 2, diskBytes: MiB + 3 });
            assert.deepStrictEqual(ova.diskNames, ["disks/u-2204-0-k-12510-0-disk0.vmdk", "disks/u-2204-0-k-12510-0-disk1.vmdk"]);
            const reader = await openOva(ova.path, { expectedSha256: ova.sha256 });
            const seen: string[] = [];
            for await (const file of reader.files()) {
                const got = await sha256OfFile(file);
                const i = ova.diskNames.indexOf(file.name);
                assert.ok(i >= 0, file.name);
                assert.strictEqual(got.sha256, ova.diskSha256s[i]);
                assert.strictEqual((await file.verified).status, "verified");
                seen.push(file.name);
            }
            assert.deepStrictEqual(seen, ova.diskNames);
            assert.deepStrictEqual((await reader.finish()).manifestChecked, [ova.descriptorName, ...ova.diskNames]);
        });

        for (const source of ["local", "http"] as const) {
            it(`joins a chunked disk (ovf:chunkSize) into one file, checking every chunk against the manifest (${source})`, async () => {
                const ova = await buildTestOva(path.join(dir, `chunked-${source}`), { diskBytes: 3 * MiB + 5, chunkSize: MiB, diskDir: "disks" });
                assert.deepStrictEqual(ova.diskEntries[0].map((e) => e.slice(-10)), [".000000000", ".000000001", ".000000002", ".000000003"]);
                assert.match(ova.manifestText!, /^SHA256\(disks\/u-2204-0-k-12510-0-disk0\.vmdk\.000000003\)= [0-9a-f]{64}$/m);
                const served = source === "http" ? await serve(ova.path) : undefined;
                try {
                    const reader = await openOva(served?.url ?? ova.path);
                    const files: OvaFile[] = [];
                    for await (const file of reader.files()) {
                        files.push(file);
                        const got = await sha256OfFile(file);
                        assert.strictEqual(got.bytes, 3 * MiB + 5);
                        assert.strictEqual(got.sha256, ova.diskSha256s[0], "the chunks, joined in order, are the disk");
                    }
                    assert.deepStrictEqual(files.map((f) => [f.name, f.size, f.entries]), [[ova.diskNames[0], 3 * MiB + 5, ova.diskEntries[0]]]);
                    const result = await reader.finish();
                    assert.deepStrictEqual(result.manifestChecked, [ova.descriptorName, ...ova.diskEntries[0]]);
                    assert.strictEqual(result.sha256, ova.sha256);
                } finally {
                    await served?.close();
                }
            });
        }

        it("refuses a corrupt chunk, naming the chunk; never hands out the chunk's last bytes", async () => {
            const ova = await buildTestOva(path.join(dir, "chunk-corrupt"), { diskBytes: 4 * MiB, chunkSize: MiB, corruptDisk: true });
            const reader = await openOva(ova.path);
            const it = reader.files()[Symbol.asyncIterator]();
            const file = (await it.next()).value as OvaFile;
            let bytes = 0;
            const e = await (async () => {
                try {
                    for await (const s of file.segments()) {
                        bytes += s.data.length;
                        s.release();
                    }
                } catch (error) {
                    return error as OvaIntegrityError;
                }
                assert.fail("the corrupt chunk was read to its end");
            })();
            // corruptOffset is the middle of the disk: chunk 2 starts there.
            assert.ok(e instanceof OvaIntegrityError, String(e));
            assert.strictEqual(e.file, ova.diskEntries[0][2]);
            assert.ok(e.message.includes(ova.path) && e.message.includes(ova.diskEntries[0][2]), e.message);
            assert.ok(bytes < 3 * MiB, `${bytes} bytes handed out`);
            await assert.rejects(reader.finish(), (x) => x === e);
        });

        it("refuses a chunked disk with a missing chunk, or chunks whose sizes disagree with ovf:size, at open", async () => {
            const missing = await buildTestOva(path.join(dir, "chunk-missing"), {
                diskBytes: 3 * MiB,
                chunkSize: MiB,
                manifest: "none",
                omitFromArchive: ["u-2204-0-k-12510-0-disk0.vmdk.000000001"],
            });
            await assert.rejects(openOva(missing.path, { requireManifest: false }), (e: Error) => {
                assert.ok(e instanceof OvaFormatError);
                assert.ok(e.message.includes(missing.path), e.message);
                assert.match(e.message, /disk0\.vmdk\.000000001: the descriptor u-2204-0-k-12510-0\.ovf references it \(file id file1\), but the archive lacks it/);
                return true;
            });
            const short = await buildTestOva(path.join(dir, "chunk-size"), { diskBytes: 3 * MiB, chunkSize: MiB, declaredDiskSize: 3 * MiB + 10 });
            await assert.rejects(openOva(short.path), /disk0\.vmdk\.000000003: the descriptor .* references it .* but the archive lacks it/);
            const long = await buildTestOva(path.join(dir, "chunk-long"), { diskBytes: 3 * MiB, chunkSize: MiB, declaredDiskSize: 2 * MiB + 10 });
            await assert.rejects(openOva(long.path), /disk0\.vmdk\.000000002: chunk 2 of .*disk0\.vmdk should hold 10 bytes \(ovf:size 2097162, ovf:chunkSize 1048576 in u-2204-0-k-12510-0\.ovf\), but the archive's entry has 1048576 bytes/);
        });

        for (const source of ["local", "http"] as const) {
            it(`refuses an ovf:size that disagrees with the entry's size before handing out any byte (${source})`, async () => {
                const ova = await buildTestOva(path.join(dir, `size-lie-${source}`), { diskBytes: MiB, declaredDiskSize: 1000 * MiB });
                const served = source === "http" ? await serve(ova.path) : undefined;
                try {
                    const message = /u-2204-0-k-12510-0-disk0\.vmdk: ovf:size of u-2204-0-k-12510-0-disk0\.vmdk in the descriptor u-2204-0-k-12510-0\.ovf says 1048576000 bytes, but the archive's entry has 1048576 bytes/;
                    if (!served) {
                        await assert.rejects(openOva(ova.path), (e: Error) => e instanceof OvaFormatError && message.test(e.message) && e.message.includes(ova.path));
                        return;
                    }
                    const reader = await openOva(served.url);
                    const handedOut: string[] = [];
                    await assert.rejects(
                        (async () => {
                            for await (const f of reader.files()) handedOut.push(f.name);
                        })(),
                        (e: Error) => message.test(e.message) && e.message.includes(served.url),
                    );
                    assert.deepStrictEqual(handedOut, []);
                } finally {
                    await served?.close();
                }
            });
        }

        it("hands out files of CD-ROM and NVRAM devices like any other referenced file", async () => {
            const ova = await buildTestOva(path.join(dir, "devices"), {
                deviceFiles: [
                    { name: "tools.iso", content: Buffer.alloc(70_000, 7), device: "cdrom" },
                    { name: "u-2204-0-k-12510-0.nvram", content: "NVRAM bytes", device: "nvram" },
                ],
            });
            const reader = await openOva(ova.path);
            assert.deepStrictEqual(reader.descriptor.files.map((f) => f.href), [ova.diskName, "tools.iso", "u-2204-0-k-12510-0.nvram"]);
            const names: string[] = [];
            for await (const f of reader.files()) {
                names.push(f.name);
                await sha256OfFile(f);
            }
            assert.deepStrictEqual(names, [ova.diskName, "tools.iso", "u-2204-0-k-12510-0.nvram"]);
            await reader.finish();
        });

        it("reads OVAs written by GNU tar (ustar, pax and gnu formats, a long path, a directory entry)", async function () {
            const source = await buildTestOva(path.join(dir, "gnu-src"), { diskBytes: MiB + 1 });
            const tree = path.join(dir, "gnu-tree");
            const longDir = `disks/${"d".repeat(90)}/${"e".repeat(40)}`;
            fs.mkdirSync(path.join(tree, longDir), { recursive: true });
            execFileSync("tar", ["-xf", source.path, "-C", tree]);
            // Move the disk into the long directory and rewrite the descriptor and manifest for it.
            const href = `${longDir}/${source.diskName}`;
            fs.renameSync(path.join(tree, source.diskName), path.join(tree, href));
            const descriptor = source.descriptorXml.replace(`ovf:href="${source.diskName}"`, `ovf:href="${href}"`);
            fs.writeFileSync(path.join(tree, source.descriptorName), descriptor);
            const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
            fs.writeFileSync(path.join(tree, "u-2204-0-k-12510-0.mf"), `SHA256(${source.descriptorName})= ${sha(descriptor)}\nSHA256(${href})= ${source.diskSha256s[0]}\n`);
            for (const format of ["ustar", "pax", "gnu"]) {
                const ovaPath = path.join(dir, `gnu-${format}.ova`);
                // The descriptor first, then the directory tree (GNU tar adds the directory entries).
                execFileSync("tar", [`--format=${format}`, "-cf", ovaPath, "-C", tree, source.descriptorName, "u-2204-0-k-12510-0.mf", "disks"]);
                const listing = execFileSync("tar", ["-tf", ovaPath], { encoding: "utf8" });
                assert.match(listing, /^disks\/$/m, "a directory entry");
                const reader = await openOva(ovaPath);
                const files: string[] = [];
                for await (const f of reader.files()) {
                    files.push(f.name);
                    assert.strictEqual((await sha256OfFile(f)).sha256, source.diskSha256s[0], format);
                }
                assert.deepStrictEqual(files, [href], format);
                const result = await reader.finish();
                assert.strictEqual(result.sha256, createHash("sha256").update(fs.readFileSync(ovaPath)).digest("hex"));
            }
        });

        it("refuses links and special files in the archive, naming the entry", async () => {
            const source = await buildTestOva(path.join(dir, "links-src"));
            const tree = path.join(dir, "links-tree");
            fs.mkdirSync(tree);
            execFileSync("tar", ["-xf", source.path, "-C", tree]);
            fs.symlinkSync("/etc/passwd", path.join(tree, "passwd.vmdk"));
            fs.linkSync(path.join(tree, source.diskName), path.join(tree, "hard.vmdk"));
            execFileSync("mkfifo", [path.join(tree, "pipe.vmdk")]);
            for (const [entry, what] of [["passwd.vmdk", /passwd\.vmdk: is a symlink \(to \/etc\/passwd\)/], ["hard.vmdk", /hard\.vmdk: is a hardlink/], ["pipe.vmdk", /pipe\.vmdk: is a fifo/]] as const) {
                const ovaPath = path.join(dir, `link-${entry}.ova`);
                const members = entry === "hard.vmdk" ? [source.descriptorName, source.diskName, entry] : [source.descriptorName, entry];
                execFileSync("tar", ["-cf", ovaPath, "-C", tree, ...members]);
                await assert.rejects(openOva(ovaPath, { requireManifest: false }), (e: Error) => e instanceof OvaFormatError && what.test(e.message) && e.message.includes(ovaPath));
            }
        });

        it("refuses a vApp, an OVF 0.9 descriptor and a too deeply nested one, naming the OVA, the descriptor and the reason", async () => {
            const base = await buildTestOva(path.join(dir, "base"));
            const cases: [string, string, RegExp][] = [
                ["vapp", asVapp(base.descriptorXml), /describes a vApp \(VirtualSystemCollection\); Palette clones one VM template/],
                ["ovf09", asOvf09(base.descriptorXml), /is an OVF 0\.9 descriptor .*convert it with VMware ovftool.*ovftool --lax <old>\.ova <new>\.ova/],
                ["nested", base.descriptorXml.replace("<Annotation>", `<Annotation>${"<a>".repeat(150)}${"</a>".repeat(150)}`).replace("<AnnotationSection>", `<X>${"<n>".repeat(120)}${"</n>".repeat(120)}</X><AnnotationSection>`), /cannot be parsed: Maximum nested tags exceeded \(its elements nest deeper than the parser's limit of 100/],
                ["two-systems", base.descriptorXml.replace("</VirtualSystem>", '</VirtualSystem><VirtualSystem ovf:id="second"><Info>x</Info></VirtualSystem>'), /2 VirtualSystems; a template is one VM/],
                ["compressed", base.descriptorXml.replace('ovf:id="file1"', 'ovf:id="file1" ovf:compression="gzip"'), /disk0\.vmdk is compressed \(ovf:compression="gzip"\)/],
                ["escaping-href", base.descriptorXml.replace(`ovf:href="${base.diskName}"`, 'ovf:href="../../etc/shadow"'), /file file1 has ovf:href "\.\.\/\.\.\/etc\/shadow", which escapes the archive/],
                ["url-href", base.descriptorXml.replace(`ovf:href="${base.diskName}"`, 'ovf:href="http://127.0.0.1:1/disk.vmdk"'), /which is a URL/],
            ];
            for (const [label, xml, reason] of cases) {
                const ova = await buildTestOva(path.join(dir, `refused-${label}`), { descriptorXml: xml });
                await assert.rejects(openOva(ova.path), (e: Error) => {
                    assert.ok(e instanceof OvaFormatError, `${label}: ${e}`);
                    assert.ok(e.message.startsWith(`OVA ${ova.path}: descriptor ${ova.descriptorName}: `), `${label}: ${e.message}`);
                    assert.match(e.message, reason, label);
                    return true;
                });
            }
            // The nesting limit is the parser's own error, now named: the bare message was the finding.
            assert.throws(() => parseOvfDescriptor(cases[2][1], "deep.ovf"), /^OvaFormatError: deep\.ovf: cannot be parsed: Maximum nested tags exceeded/);
        });

        it("names the OVA and the entry in every reader error (a sweep over broken archives)", async () => {
            const ova = await buildTestOva(path.join(dir, "sweep"), { diskBytes: 2 * MiB });
            const bytes = fs.readFileSync(ova.path);
            const variants: [string, Buffer, string][] = [];
            // Truncated inside the disk, and inside the descriptor's header block.
            variants.push(["cut-disk", bytes.subarray(0, bytes.length - MiB), ova.diskName]);
            // The disk's header checksum broken.
            const diskHeader = bytes.indexOf(Buffer.from(ova.diskName + "\0"));
            const badSum = Buffer.from(bytes);
            badSum[diskHeader + 148] = 0x37;
            badSum[diskHeader + 149] = 0x37;
            variants.push(["bad-checksum", badSum, `at byte ${diskHeader}`]);
            // A second descriptor, a second manifest.
            for (const [label, name, content] of [["two-ovf", "b.ovf", "<Envelope/>"], ["two-mf", "b.mf", "SHA256(x)= " + "0".repeat(64) + "\n"]] as const) {
                const two = await buildTestOva(path.join(dir, `sweep-${label}`), { extraEntries: [{ name, content, position: "end" }] });
                variants.push([label, fs.readFileSync(two.path), name]);
            }
            for (const [label, content, entry] of variants) {
                const p = path.join(dir, `sweep-${label}.ova`);
                fs.writeFileSync(p, content);
                const e = await openOva(p).then(async (reader) => {
                    for await (const f of reader.files()) await sha256OfFile(f);
                    await reader.finish();
                }).then(() => undefined, (error: Error) => error);
                assert.ok(e, `${label}: no error`);
                assert.ok(e.message.startsWith(`OVA ${p}: `), `${label}: ${e.message}`);
                assert.ok(e.message.includes(entry), `${label} does not name ${entry}: ${e.message}`);
            }
        });
    });

    describe("imported into vcsim through the provider", () => {
        let vc: Vcsim;
        let client: VsphereSoapClient;
        let logged: string[];
        const realLog = console.log;

        const inputsFor = (ova: TestOva, extra: Partial<OvaTemplateInputs> = {}): OvaTemplateInputs => ({
            server: vc.host,
            user: vc.username,
            password: vc.password,
            allowUnverifiedSsl: false,
            caFile: vc.caFile,
            datacenter: "DC0",
            folderPath: FOLDER,
            datastore: "LocalDS_0",
            network: "VM Network",
            cluster: "DC0_C0",
            source: ova.path,
            expectedSha256: ova.sha256,
            templateName: "r_formats",
            markAsTemplate: true,
            diskProvisioning: "thin" as const,
            ...extra,
        });

        async function vmsInFolder(): Promise<string[]> {
            const folder = await client.findVmFolder("DC0", FOLDER);
            const props = await client.getProperties(folder!, ["childEntity"]);
            const children = ([] as unknown[]).concat((props.childEntity as unknown) ?? []) as ManagedObjectRef[];
            const names: string[] = [];
            for (const child of children.filter((ref) => ref.type === "VirtualMachine")) names.push((await client.getVmSummary(child))!.name);
            return names.sort();
        }

        /** What vcsim's NFC handler logged as received since `from` (it counts the bytes, then discards them). */
        function transfers(from: number): { method: string; file: string; bytes: number }[] {
            return [...vc.stderr().slice(from).matchAll(/nfc (PUT|POST) (\S+): transferred (\d+) bytes/g)].map((m) => ({ method: m[1], file: path.basename(m[2]), bytes: Number(m[3]) }));
        }

        /** Every file and directory under vcsim's temporary directory (its datastores). */
        function storedEntries(): string[] {
            const out: string[] = [];
            const walk = (d: string) => {
                for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                    out.push(path.join(d, e.name));
                    if (e.isDirectory()) walk(path.join(d, e.name));
                }
            };
            walk(path.dirname(vc.caFile));
            return out.sort();
        }

        async function create(inputs: OvaTemplateInputs): Promise<{ id: string; outs: OvaTemplateOutputs }> {
            return ovaTemplateProvider.create(inputs);
        }

        before(async function () {
            this.timeout(VCSIM_HOOK_TIMEOUT_MS);
            vc = await startVcsim();
            client = await VsphereSoapClient.login(vc.connection());
            const vmFolder = await client.findVmFolder("DC0");
            await client.createFolder(vmFolder!, FOLDER);
        });
        after(async () => {
            await client?.logout();
            await vc?.stop();
        });
        beforeEach(() => {
            logged = [];
            console.log = (...args: unknown[]) => {
                logged.push(args.map(String).join(" "));
            };
        });
        afterEach(async () => {
            console.log = realLog;
            assert.deepStrictEqual(await vmsInFolder(), [], "a VM was left behind");
        });

        it("imports a chunked disk stored in a subdirectory as one upload of the joined chunks; the template exists", async () => {
            const ova = await buildTestOva(path.join(dir, "vc-chunked"), { diskBytes: 3 * MiB + 17, chunkSize: MiB, diskDir: "disks" });
            const from = vc.stderr().length;
            const created = await create(inputsFor(ova));
            try {
                const summary = await client.getVmSummary({ type: "VirtualMachine", value: created.id });
                assert.strictEqual(summary?.name, "r_formats");
                assert.strictEqual(summary?.template, true);
                assert.strictEqual(created.outs.ovaSha256, ova.sha256);
                // One upload of the four chunks joined (their content is checked by the reader tests above).
                assert.deepStrictEqual(transfers(from), [{ method: "POST", file: "disk-0.vmdk", bytes: 3 * MiB + 17 }]);
            } finally {
                await ovaTemplateProvider.delete(created.id, created.outs);
            }
        });

        it("uploads a CD-ROM's ISO the lease asks for, and skips an NVRAM file it does not, with a log line naming it", async () => {
            const iso = Buffer.alloc(300_000, 0x49);
            const ova = await buildTestOva(path.join(dir, "vc-devices"), {
                deviceFiles: [
                    { name: "media/tools.iso", content: iso, device: "cdrom" },
                    { name: "u-2204-0-k-12510-0.nvram", content: "NVRAM bytes", device: "nvram" },
                ],
            });
            const from = vc.stderr().length;
            const created = await create(inputsFor(ova));
            try {
                assert.deepStrictEqual(transfers(from), [
                    { method: "POST", file: "disk-0.vmdk", bytes: MiB },
                    // As govc: PUT when the file item says `create` (vCenter does for an ISO), else POST (vcsim never sets it).
                    { method: "POST", file: "_deviceImage0.iso", bytes: iso.length },
                ]);
                const skipped = logged.filter((l) => /skipping u-2204-0-k-12510-0\.nvram \(0\.0 MiB\): vCenter's import spec does not ask for it/.test(l));
                assert.strictEqual(skipped.length, 1, logged.join("\n"));
                assert.ok(!logged.some((l) => /skipping media\/tools\.iso/.test(l)), logged.join("\n"));
            } finally {
                await ovaTemplateProvider.delete(created.id, created.outs);
            }
        });

        it("refuses a vApp, OVF 0.9 and a lying ovf:size before anything is created on vCenter", async () => {
            const base = await buildTestOva(path.join(dir, "vc-base"));
            const refused: [string, TestOva, RegExp][] = [
                ["vapp", await buildTestOva(path.join(dir, "vc-vapp"), { descriptorXml: asVapp(base.descriptorXml) }), /vApp \(VirtualSystemCollection\)/],
                ["ovf09", await buildTestOva(path.join(dir, "vc-ovf09"), { descriptorXml: asOvf09(base.descriptorXml) }), /OVF 0\.9/],
                ["size", await buildTestOva(path.join(dir, "vc-size"), { declaredDiskSize: 1000 * MiB }), /ovf:size of .* says 1048576000 bytes, but the archive's entry has 1048576 bytes/],
            ];
            for (const [label, ova, reason] of refused) {
                const before = storedEntries();
                await assert.rejects(create(inputsFor(ova, { templateName: `r_${label}` })), (e: Error) => e instanceof OvaFormatError && reason.test(e.message) && e.message.includes(ova.path));
                // ImportVApp makes the VM's directory on the datastore: none appeared.
                assert.deepStrictEqual(storedEntries(), before, `${label}: something was created on the datastore`);
            }
        });

        it("the OVA opened beside the login and lookups is closed again when they fail: no file handle or hashing thread is left", async () => {
            const ova = await buildTestOva(path.join(dir, "vc-early-open"), { diskBytes: 2 * MiB });
            const bad = await buildTestOva(path.join(dir, "vc-early-open-bad"), { declaredDiskSize: 3 * MiB });
            const openHandles = (file: string) =>
                fs.readdirSync("/proc/self/fd").filter((fd) => {
                    try {
                        return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
                    } catch {
                        return false;
                    }
                }).length;
            const threads = () => fs.readdirSync("/proc/self/task").length;
            const settled = async (file: string, baseline: number) => {
                for (let i = 0; i < 100 && (openHandles(file) > 0 || threads() > baseline); i++) await new Promise((r) => setTimeout(r, 50));
                assert.strictEqual(openHandles(file), 0, `${file} is still open`);
                assert.ok(threads() <= baseline, `${threads() - baseline} thread(s) left running`);
            };
            const baseline = threads();
            // The lookups fail (a datastore that does not exist): their error, named by config key, and the reader is closed.
            await assert.rejects(create(inputsFor(ova, { datastore: "NoSuchDS" })), /datastore "NoSuchDS" \(config key datastore\)/);
            await settled(ova.path, baseline);
            // The login fails and the OVA is bad too: the login's error comes first, as before the overlap.
            await assert.rejects(create(inputsFor(bad, { password: "wrong-password" })), (e: Error) => !(e instanceof OvaFormatError) && /login|Login|password|incorrect/i.test(e.message) && !e.message.includes("wrong-password"));
            await settled(bad.path, baseline);
            // Lookups pass and the OVA is bad: the OVA's error, before anything is created.
            await assert.rejects(create(inputsFor(bad)), (e: Error) => e instanceof OvaFormatError && /ovf:size/.test(e.message));
            await settled(bad.path, baseline);
        });

        it("a corrupt chunk over HTTP aborts the upload and leaves no VM", async () => {
            const ova = await buildTestOva(path.join(dir, "vc-chunk-bad"), { diskBytes: 4 * MiB, chunkSize: MiB, corruptDisk: true });
            const served = await serve(ova.path);
            try {
                await assert.rejects(create(inputsFor(ova, { source: served.url, expectedSha256: undefined })), (e: Error) => {
                    assert.ok(e instanceof OvaIntegrityError, String(e));
                    assert.ok(e.message.includes(served.url) && e.message.includes(ova.diskEntries[0][2]), e.message);
                    return true;
                });
            } finally {
                await served.close();
            }
        });

        describe("through the plugin's gRPC Create and Delete (the plugin started as the engine starts it)", () => {
            const TYPE = "palette-airgap:vsphere:OvaTemplateImport";
            let plugin: PluginProcess;
            before(async () => {
                plugin = await PluginProcess.start();
            });
            after(async () => {
                await plugin?.stop();
            });

            it("imports a chunked disk in a subdirectory plus an ISO and an NVRAM file; the skip is logged to the engine", async () => {
                const ova = await buildTestOva(path.join(dir, "grpc-forms"), {
                    diskBytes: 2 * MiB + 9,
                    chunkSize: MiB,
                    diskDir: "disks",
                    deviceFiles: [
                        { name: "tools.iso", content: Buffer.alloc(50_000, 1), device: "cdrom" },
                        { name: "u-2204-0-k-12510-0.nvram", content: "NVRAM", device: "nvram" },
                    ],
                });
                const from = vc.stderr().length;
                const created = await callPlugin<{ id: string; outs: Record<string, unknown> }>(plugin, TYPE, "grpc-forms", "create", [inputsFor(ova, { templateName: "r_grpc-forms" })]);
                assert.match(created.result.id, /^vm-/);
                assert.strictEqual(created.result.outs.ovaSha256, ova.sha256);
                assert.deepStrictEqual(transfers(from).map((t) => [t.file, t.bytes]), [["disk-0.vmdk", 2 * MiB + 9], ["_deviceImage0.iso", 50_000]]);
                assert.match(created.output, /skipping u-2204-0-k-12510-0\.nvram \(0\.0 MiB\): vCenter's import spec does not ask for it/);
                await callPlugin(plugin, TYPE, "grpc-forms", "delete", [created.result.id, created.result.outs]);
            });

            it("refuses a vApp and a lying ovf:size before anything is created, and the plugin keeps serving", async () => {
                const base = await buildTestOva(path.join(dir, "grpc-base"));
                for (const [label, ova, reason] of [
                    ["vapp", await buildTestOva(path.join(dir, "grpc-vapp"), { descriptorXml: asVapp(base.descriptorXml) }), /vApp \(VirtualSystemCollection\)/],
                    ["size", await buildTestOva(path.join(dir, "grpc-size"), { declaredDiskSize: 7 * MiB }), /says 7340032 bytes, but the archive's entry has 1048576 bytes/],
                ] as const) {
                    const before = storedEntries();
                    await assert.rejects(callPlugin(plugin, TYPE, `grpc-${label}`, "create", [inputsFor(ova, { templateName: `r_grpc-${label}` })]), reason);
                    assert.deepStrictEqual(storedEntries(), before, `${label}: something was created on the datastore`);
                }
            });
        });
    });
});
