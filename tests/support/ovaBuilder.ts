/**
 * Builds real OVA files (tar archives) for the tests, like the ones Kubernetes image-builder
 * produces: an OVF 1.0 descriptor, a manifest, and streamOptimized-looking disks.
 *
 * Disk content is a deterministic pseudo-random stream (the AES-128-CTR keystream of a key derived
 * from `seed` and the disk index), generated in 1 MiB chunks and streamed into the tar: never held
 * in memory, so a 1 GiB disk takes a few seconds. Disks start with the `KDMV` magic for realism;
 * they are not valid VMDKs (vcsim stores the uploaded bytes as they are).
 */
import { createCipheriv, createHash } from "crypto";
import { once } from "events";
import * as fs from "fs";
import * as path from "path";
import * as tar from "tar-stream";

export type ManifestAlgorithmName = "SHA256" | "SHA1" | "SHA512";

export interface ExtraOvaEntry {
    name: string;
    content: string | Buffer;
    /** Where in the tar. Default: "end". */
    position?: "first" | "afterDescriptor" | "end";
    /** List it in the manifest. Default: true. */
    inManifest?: boolean;
}

export interface TestOvaOptions {
    /** Base name of the descriptor, disks and OVA. Default "u-2204-0-k-12510-0". */
    name?: string;
    /** OVA file name. Default `<name>.ova`. */
    fileName?: string;
    /** Bytes per disk. Default 1 MiB. */
    diskBytes?: number;
    /** Number of disks. Default 1. */
    diskCount?: number;
    /** NetworkSection network the NIC connects to. Default "VM Network". */
    network?: string;
    /** Manifest position in the tar. Default "first" (right after the descriptor). */
    manifest?: "first" | "last" | "none";
    /** Default "SHA256". */
    manifestAlgorithm?: ManifestAlgorithmName;
    /** "compact": `SHA256(x)= hex` (default); "spaced": `SHA256 (x) = hex`. */
    manifestSpacing?: "compact" | "spaced";
    /** The manifest lists the digest of the intended content but the disk (index, true = 0) has one byte changed. */
    corruptDisk?: boolean | number;
    /** Seed of the disk content. Default 1. */
    seed?: number;
    /** vApp properties of the ProductSection, added to the default ones. */
    properties?: Record<string, string>;
    /** More tar entries. */
    extraEntries?: ExtraOvaEntry[];
    /** Entry names kept in the descriptor and manifest but left out of the tar. */
    omitFromArchive?: string[];
    /** Entry names left out of the manifest. */
    omitFromManifest?: string[];
    /** Use this descriptor text instead of the generated one. */
    descriptorXml?: string;
    /** Directory of the disks inside the OVA, e.g. "disks" for `ovf:href="disks/<name>-disk0.vmdk"`. Default: none. */
    diskDir?: string;
    /** Store each disk as chunks of this many bytes (`ovf:chunkSize`, entries `<href>.000000000`, ...). Default: not chunked. */
    chunkSize?: number;
    /** The `ovf:size` the descriptor claims for each disk. Default: the real size. */
    declaredDiskSize?: number;
    /** Files referenced by devices (an ISO on a CD-ROM, an NVRAM file): in References, in the tar after the disks, and in the manifest. */
    deviceFiles?: { name: string; content: string | Buffer; device: "cdrom" | "nvram" }[];
}

export interface TestOva {
    path: string;
    /** SHA-256 of the whole OVA file. */
    sha256: string;
    size: number;
    /** The first disk's entry name. */
    diskName: string;
    diskNames: string[];
    /** SHA-256 of each disk's bytes as written into the tar (after corruption, if any). */
    diskSha256s: string[];
    descriptorName: string;
    descriptorXml: string;
    manifestName?: string;
    manifestText?: string;
    /** Entry names in tar order. */
    entries: string[];
    /** The entries each disk is stored in (its chunks, or just its name). */
    diskEntries: string[][];
}

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/** The clean (uncorrupted) content of disk `index`, in chunks of at most 1 MiB. */
export function* testDiskChunks(seed: number, index: number, bytes: number): Generator<Buffer> {
    const key = createHash("sha256").update(`ova-test-disk:${seed}:${index}`).digest();
    const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
    let off = 0;
    while (off < bytes) {
        const n = Math.min(CHUNK, bytes - off);
        const chunk = cipher.update(n === CHUNK ? ZEROS : ZEROS.subarray(0, n));
        if (off === 0) chunk.write("KDMV", 0, Math.min(4, n), "latin1");
        off += n;
        yield chunk;
    }
}

function corruptOffset(bytes: number): number {
    return bytes > 4 ? Math.floor(bytes / 2) : bytes - 1;
}

function manifestLine(alg: ManifestAlgorithmName, name: string, hex: string, spacing: "compact" | "spaced"): string {
    return spacing === "spaced" ? `${alg} (${name}) = ${hex}\n` : `${alg}(${name})= ${hex}\n`;
}

function xmlEscape(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An OVF 1.0 descriptor shaped like image-builder's (vmx-13, 2 vCPU, 4 GiB, SCSI, VmxNet3, vApp properties). */
export function testOvfDescriptor(o: {
    name: string;
    diskNames: string[];
    diskBytes: number;
    network: string;
    properties: Record<string, string>;
    chunkSize?: number;
    deviceFiles?: { name: string; size: number; device: "cdrom" | "nvram" }[];
}): string {
    const chunk = o.chunkSize ? ` ovf:chunkSize="${o.chunkSize}"` : "";
    const deviceFiles = o.deviceFiles ?? [];
    const deviceFileId = (i: number) => `file${o.diskNames.length + i + 1}`;
    const files = [
        ...o.diskNames.map((d, i) => `    <File ovf:href="${xmlEscape(d)}" ovf:id="file${i + 1}" ovf:size="${o.diskBytes}"${chunk}/>`),
        ...deviceFiles.map((f, i) => `    <File ovf:href="${xmlEscape(f.name)}" ovf:id="${deviceFileId(i)}" ovf:size="${f.size}"/>`),
    ].join("\n");
    // A CD-ROM sits on an IDE controller (vcsim, like vCenter, attaches it there).
    const ideController = deviceFiles.some((f) => f.device === "cdrom")
        ? `      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>IDE Controller</rasd:Description>
        <rasd:ElementName>IDE 0</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceType>5</rasd:ResourceType>
      </Item>
`
        : "";
    const deviceItems = ideController + deviceFiles
        .map((f, i) =>
            f.device === "cdrom"
                ? `      <Item ovf:required="false">
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>false</rasd:AutomaticAllocation>
        <rasd:ElementName>CD/DVD drive ${i + 1}</rasd:ElementName>
        <rasd:HostResource>ovf:/file/${deviceFileId(i)}</rasd:HostResource>
        <rasd:InstanceID>${30 + i}</rasd:InstanceID>
        <rasd:Parent>5</rasd:Parent>
        <rasd:ResourceSubType>vmware.cdrom.iso</rasd:ResourceSubType>
        <rasd:ResourceType>15</rasd:ResourceType>
      </Item>`
                : `      <vmw:ExtraConfig ovf:required="false" vmw:key="nvram" vmw:value="ovf:/file/${deviceFileId(i)}"/>`,
        )
        .join("\n");
    const disks = o.diskNames
        .map(
            (_d, i) =>
                `    <Disk ovf:capacity="${20480 * (i + 1)}" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk${i + 1}" ` +
                `ovf:fileRef="file${i + 1}" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ` +
                `ovf:populatedSize="${o.diskBytes * 3}"/>`,
        )
        .join("\n");
    const diskItems = o.diskNames
        .map(
            (_d, i) => `      <Item>
        <rasd:AddressOnParent>${i}</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk ${i + 1}</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk${i + 1}</rasd:HostResource>
        <rasd:InstanceID>${10 + i}</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>`,
        )
        .join("\n");
    const props = Object.entries(o.properties)
        .map(
            ([k, v]) =>
                `      <Property ovf:key="${xmlEscape(k)}" ovf:type="string" ovf:userConfigurable="false" ovf:value="${xmlEscape(v)}"/>`,
        )
        .join("\n");
    const net = xmlEscape(o.network);
    return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
${files}
  </References>
  <DiskSection>
    <Info>List of the virtual disks</Info>
${disks}
  </DiskSection>
  <NetworkSection>
    <Info>Logical networks used by the package</Info>
    <Network ovf:name="${net}">
      <Description>The network the first NIC connects to</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="${xmlEscape(o.name)}">
    <Info>A single virtual machine</Info>
    <Name>${xmlEscape(o.name)}</Name>
    <AnnotationSection>
      <Info>Annotation</Info>
      <Annotation>Test image built by tests/support/ovaBuilder.ts</Annotation>
    </AnnotationSection>
    <OperatingSystemSection ovf:id="94" ovf:version="22" vmw:osType="ubuntu64Guest">
      <Info>Guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>${xmlEscape(o.name)}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>2 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>4096MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>4096</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Description>SCSI Controller</rasd:Description>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>${net}</rasd:Connection>
        <rasd:Description>VmxNet3 ethernet adapter on &quot;${net}&quot;</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
${diskItems}
${deviceItems}
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="bios"/>
    </VirtualHardwareSection>
    <EulaSection>
      <Info>End-user license agreement</Info>
      <License>Test image. Licensed under the Apache License, Version 2.0.</License>
    </EulaSection>
    <ProductSection>
      <Info>Information about the installed software</Info>
      <Product>Ubuntu 22.04 and Kubernetes v1.25.10</Product>
      <Vendor>Test</Vendor>
      <Version>1.25.10</Version>
      <FullVersion>1.25.10</FullVersion>
      <Category>Cluster API Provider (CAPI)</Category>
${props}
    </ProductSection>
  </VirtualSystem>
</Envelope>
`;
}

interface PlannedEntry {
    name: string;
    size: number;
    /** Small content, or the disk index for a streamed disk. */
    content: Buffer | number;
}

/** Writes an OVA into `dir` (streamed with tar-stream's pack; disks are never held in memory). */
export async function buildTestOva(dir: string, opts: TestOvaOptions = {}): Promise<TestOva> {
    const name = opts.name ?? "u-2204-0-k-12510-0";
    const diskBytes = opts.diskBytes ?? CHUNK;
    const diskCount = opts.diskCount ?? 1;
    const seed = opts.seed ?? 1;
    const manifestPos = opts.manifest ?? "first";
    const algName = opts.manifestAlgorithm ?? "SHA256";
    const alg = algName.toLowerCase();
    const spacing = opts.manifestSpacing ?? "compact";
    const corruptIndex = opts.corruptDisk === true ? 0 : typeof opts.corruptDisk === "number" ? opts.corruptDisk : -1;
    const omitArchive = new Set(opts.omitFromArchive ?? []);
    const omitManifest = new Set(opts.omitFromManifest ?? []);

    const descriptorName = `${name}.ovf`;
    const manifestName = `${name}.mf`;
    const diskNames = Array.from({ length: diskCount }, (_, i) => `${opts.diskDir ? `${opts.diskDir}/` : ""}${name}-disk${i}.vmdk`);
    const deviceFiles = (opts.deviceFiles ?? []).map((f) => ({ ...f, content: Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, "utf8") }));
    const descriptorXml = opts.descriptorXml ?? testOvfDescriptor({
        name,
        diskNames,
        diskBytes: opts.declaredDiskSize ?? diskBytes,
        network: opts.network ?? "VM Network",
        chunkSize: opts.chunkSize,
        deviceFiles: deviceFiles.map((f) => ({ name: f.name, size: f.content.length, device: f.device })),
        properties: {
            BUILD_TIMESTAMP: "1690000000",
            BUILD_DATE: "2023-07-22T04:26:40Z",
            IMAGE_BUILDER_VERSION: "v0.1.17",
            DISTRO_NAME: "ubuntu",
            DISTRO_VERSION: "22.04",
            KUBERNETES_SEMVER: "v1.25.10",
            ...(opts.properties ?? {}),
        },
    });
    const descriptorBuf = Buffer.from(descriptorXml, "utf8");
    const extras: ExtraOvaEntry[] = [
        ...(opts.extraEntries ?? []),
        ...deviceFiles.map((f) => ({ name: f.name, content: f.content, position: "end" as const })),
    ];
    const extraBuf = (e: ExtraOvaEntry) => (Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content, "utf8"));

    // Each disk is stored whole, or as chunks of opts.chunkSize bytes named <href>.000000000, ...
    const pieces: { name: string; disk: number; start: number; end: number }[][] = diskNames.map((d, i) => {
        if (!opts.chunkSize) return [{ name: d, disk: i, start: 0, end: diskBytes }];
        const count = Math.max(1, Math.ceil(diskBytes / opts.chunkSize));
        return Array.from({ length: count }, (_, c) => ({
            name: `${d}.${String(c).padStart(9, "0")}`,
            disk: i,
            start: c * opts.chunkSize!,
            end: Math.min(diskBytes, (c + 1) * opts.chunkSize!),
        }));
    });
    const corruptAt = (disk: number) => (disk === corruptIndex ? corruptOffset(diskBytes) : -1);
    /** The bytes of one piece of a disk, as written (corrupted if asked), and the clean ones. */
    function* pieceChunks(piece: { disk: number; start: number; end: number }, corrupt: boolean): Generator<Buffer> {
        let off = 0;
        const bad = corrupt ? corruptAt(piece.disk) : -1;
        for (const chunk of testDiskChunks(seed, piece.disk, diskBytes)) {
            const from = Math.max(piece.start, off);
            const to = Math.min(piece.end, off + chunk.length);
            if (from < to) {
                const part = Buffer.from(chunk.subarray(from - off, to - off));
                if (bad >= from && bad < to) part[bad - from] ^= 0xff;
                yield part;
            }
            off += chunk.length;
            if (off >= piece.end) break;
        }
    }

    // Manifest digests (of the intended content: a corrupted disk is listed with its clean digest).
    const manifestDigests = new Map<string, string>();
    const digestOf = (b: Buffer) => createHash(alg).update(b).digest("hex");
    manifestDigests.set(descriptorName, digestOf(descriptorBuf));
    for (const piece of pieces.flat()) {
        const h = createHash(alg);
        for (const c of pieceChunks(piece, false)) h.update(c);
        manifestDigests.set(piece.name, h.digest("hex"));
    }
    for (const e of extras) if (e.inManifest !== false) manifestDigests.set(e.name, digestOf(extraBuf(e)));

    const manifestText = (): string => {
        let t = "";
        const names = [descriptorName, ...pieces.flat().map((p) => p.name), ...extras.filter((e) => e.inManifest !== false).map((e) => e.name)];
        for (const n of names) {
            if (omitManifest.has(n)) continue;
            t += manifestLine(algName, n, manifestDigests.get(n)!, spacing);
        }
        return t;
    };

    const plan: (PlannedEntry | "manifest")[] = [];
    for (const e of extras.filter((x) => x.position === "first")) plan.push({ name: e.name, size: extraBuf(e).length, content: extraBuf(e) });
    plan.push({ name: descriptorName, size: descriptorBuf.length, content: descriptorBuf });
    if (manifestPos === "first") plan.push("manifest");
    for (const e of extras.filter((x) => x.position === "afterDescriptor")) {
        plan.push({ name: e.name, size: extraBuf(e).length, content: extraBuf(e) });
    }
    pieces.flat().forEach((p, i) => plan.push({ name: p.name, size: p.end - p.start, content: i }));
    if (manifestPos === "last") plan.push("manifest");
    for (const e of extras.filter((x) => (x.position ?? "end") === "end")) plan.push({ name: e.name, size: extraBuf(e).length, content: extraBuf(e) });

    await fs.promises.mkdir(dir, { recursive: true });
    const ovaPath = path.join(dir, opts.fileName ?? `${name}.ova`);
    const out = fs.createWriteStream(ovaPath);
    const pack = tar.pack();
    const whole = createHash("sha256");
    let size = 0;
    const writer = (async () => {
        for await (const c of pack as unknown as AsyncIterable<Buffer>) {
            whole.update(c);
            size += c.length;
            if (!out.write(c)) await once(out, "drain");
        }
        out.end();
        await once(out, "finish");
    })();

    const entries: string[] = [];
    let manifestWritten: string | undefined;
    const addSmall = (n: string, buf: Buffer) =>
        new Promise<void>((resolve, reject) => {
            pack.entry({ name: n, size: buf.length, mode: 0o644, mtime: new Date(1690000000000) }, buf, (err) =>
                err ? reject(err) : resolve(),
            );
        });
    const diskHashes = diskNames.map(() => createHash("sha256"));
    try {
        for (const p of plan) {
            if (p === "manifest") {
                manifestWritten = manifestText();
                if (!omitArchive.has(manifestName)) {
                    await addSmall(manifestName, Buffer.from(manifestWritten, "utf8"));
                    entries.push(manifestName);
                }
                continue;
            }
            if (typeof p.content !== "number") {
                if (omitArchive.has(p.name)) continue;
                await addSmall(p.name, p.content);
                entries.push(p.name);
                continue;
            }
            const piece = pieces.flat()[p.content];
            const skip = omitArchive.has(p.name);
            let sink: ReturnType<typeof pack.entry> | undefined;
            let entryDone: Promise<void> = Promise.resolve();
            if (!skip) {
                entryDone = new Promise<void>((resolve, reject) => {
                    sink = pack.entry({ name: p.name, size: p.size, mode: 0o644, mtime: new Date(1690000000000) }, (err) =>
                        err ? reject(err) : resolve(),
                    );
                });
            }
            for (const chunk of pieceChunks(piece, true)) {
                diskHashes[piece.disk].update(chunk);
                if (sink && !sink.write(chunk)) await new Promise<void>((r) => sink!.once("drain", () => r()));
            }
            if (sink) (sink as unknown as { end(): void }).end();
            await entryDone;
            if (!skip) entries.push(p.name);
        }
        pack.finalize();
        await writer;
    } catch (e) {
        pack.destroy(e as Error);
        out.destroy();
        throw e;
    }
    const diskSha256s = diskHashes.map((h) => h.digest("hex"));
    const result: TestOva = {
        path: ovaPath,
        sha256: whole.digest("hex"),
        size,
        diskName: diskNames[0],
        diskNames,
        diskSha256s,
        descriptorName,
        descriptorXml,
        entries,
        diskEntries: pieces.map((list) => list.map((p) => p.name)),
    };
    if (manifestWritten !== undefined) {
        result.manifestName = manifestName;
        result.manifestText = manifestWritten;
    }
    return result;
}
