/**
 * The vSphere SOAP client against vcsim (govmomi v0.56.0's vCenter simulator, started on
 * 127.0.0.1 by tests/support/vcsim.ts): login and TLS, inventory lookups, the OVF import
 * (CreateImportSpec -> ImportVApp -> HttpNfcLease upload -> complete), template marking, the
 * out-of-band changes the provider's `read` must see (rename, move, annotation), destroy, abort.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import { Readable } from "stream";
import {
    VsphereFault,
    VsphereSoapClient,
    isNotFoundFault,
    isVsphereFault,
    parseServer,
    type HttpNfcLeaseInfo,
    type ManagedObjectRef,
    type OvfFileItem,
} from "../../components/vsphere/soapClient";
import { buildXml, child, el, parseXml, text, toPlain, xsiType } from "../../components/vsphere/soapXml";
import { uploadStream } from "../../components/vsphere/soapTransport";
import { startVcsim, type Vcsim, VCSIM_HOOK_TIMEOUT_MS } from "../support/vcsim";

/** An image-builder-like OVF: one streamOptimized disk, a VmxNet3 NIC on "nic-net", a ProductSection. */
function ovfDescriptor(opts: { name: string; diskSize: number; extraItem?: string }): string {
    return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="${opts.name}-disk-0.vmdk" ovf:id="file1" ovf:size="${opts.diskSize}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="20480" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="0"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="nic-net">
      <Description>The nic-net network</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="${opts.name}">
    <Info>A virtual machine</Info>
    <Name>${opts.name}</Name>
    <OperatingSystemSection ovf:id="94" vmw:osType="ubuntu64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>${opts.name}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-15</vssd:VirtualSystemType>
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
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>nic-net</rasd:Connection>
        <rasd:Description>VmxNet3 ethernet adapter on "nic-net"</rasd:Description>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>${opts.extraItem ?? ""}
    </VirtualHardwareSection>
    <ProductSection>
      <Info>Information about the installed software</Info>
      <Product>Ubuntu 22.04 &amp; Kubernetes v1.25.10</Product>
      <Vendor>Spectro Cloud</Vendor>
      <Version>1.25.10</Version>
    </ProductSection>
  </VirtualSystem>
</Envelope>
`;
}

async function expectFault(p: Promise<unknown>, faultType: string): Promise<VsphereFault> {
    try {
        await p;
    } catch (e) {
        assert.ok(e instanceof VsphereFault, `expected a VsphereFault, got ${(e as Error)?.stack ?? String(e)}`);
        assert.strictEqual(e.faultType, faultType, e.message);
        return e;
    }
    assert.fail(`expected a ${faultType} fault`);
}

describe("soapXml", () => {
    it("resolves xsi:type under any prefix (govmomi's XMLSchema-instance) and normalises xsd types", () => {
        const root = parseXml(
            `<r xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" xmlns:x="http://www.w3.org/2001/XMLSchema">` +
                `<a XMLSchema-instance:type="x:string">v &amp; &#34;w&#34;&#xA;</a><b XMLSchema-instance:type="VirtualDisk"><key>1</key></b></r>`,
        );
        assert.strictEqual(xsiType(child(root, "a")), "xsd:string");
        assert.strictEqual(text(child(root, "a")), 'v & "w"\n');
        assert.strictEqual(xsiType(child(root, "b")), "VirtualDisk");
        assert.deepStrictEqual(toPlain(child(root, "b")!), { _type: "VirtualDisk", key: "1" });
    });

    it("escapes text and attribute values and keeps element order", () => {
        const xml = buildXml(el("spec", [el("name", `a & <b> "c"`), el("z", "1"), el("a", "2")], { "xsi:type": "T<&>" }), false);
        assert.strictEqual(xml, `<spec xsi:type="T&lt;&amp;&gt;"><name>a &amp; &lt;b&gt; &quot;c&quot;</name><z>1</z><a>2</a></spec>`);
        const back = parseXml(xml);
        assert.strictEqual(text(child(back, "name")), `a & <b> "c"`);
        assert.deepStrictEqual(
            back.children.map((c) => (typeof c === "string" ? c : c.name)),
            ["name", "z", "a"],
        );
    });

    it("parses server addresses", () => {
        assert.deepStrictEqual(parseServer("vc.example.com"), { url: "https://vc.example.com/sdk", host: "vc.example.com" });
        assert.deepStrictEqual(parseServer("vc.example.com:8443"), { url: "https://vc.example.com:8443/sdk", host: "vc.example.com:8443" });
        assert.deepStrictEqual(parseServer("https://10.0.0.1/sdk"), { url: "https://10.0.0.1/sdk", host: "10.0.0.1" });
        assert.deepStrictEqual(parseServer("[::1]:443"), { url: "https://[::1]/sdk", host: "[::1]" });
        assert.throws(() => parseServer("https://u:p@vc/sdk"), /do not put credentials/);
        assert.throws(() => parseServer(""), /empty/);
    });
});

describe("VsphereSoapClient against vcsim", function () {
    this.timeout(30_000);
    let vc: Vcsim;
    let client: VsphereSoapClient;
    let pool: ManagedObjectRef;
    let datastore: ManagedObjectRef;
    let network: ManagedObjectRef;
    let folderA: ManagedObjectRef;
    let folderB: ManagedObjectRef;
    const folderAName = `spectro-templates & <a>`;
    const folderBName = "elsewhere";
    const templateName = `r_u-2204-0-k-12510-0 & <test>`;
    let vm: ManagedObjectRef;

    before(async function () {
        this.timeout(VCSIM_HOOK_TIMEOUT_MS);
        vc = await startVcsim();
        client = await VsphereSoapClient.login(vc.connection());
    });

    after(async () => {
        await client?.logout();
        await vc?.stop();
    });

    describe("login and TLS", () => {
        it("logs in with the CA file and reads the service content", () => {
            assert.strictEqual(client.session.userName, vc.username);
            assert.strictEqual(client.serviceContent.about.apiType, "VirtualCenter");
            assert.strictEqual(client.host, vc.host);
            assert.strictEqual(client.endpoint, vc.url);
        });

        it("accepts host:port as the server", async () => {
            const c = await VsphereSoapClient.login(vc.connection({ server: vc.host }));
            await c.logout();
            await c.logout(); // idempotent
        });

        it("rejects a wrong password with InvalidLogin, without showing any password", async () => {
            const wrong = `Wrong-${crypto.randomBytes(6).toString("hex")}`;
            const e = await expectFault(VsphereSoapClient.login(vc.connection({ password: wrong })), "InvalidLogin");
            assert.match(e.message, /Login/);
            assert.match(e.message, /Login failure/);
            assert.ok(!e.message.includes(wrong), e.message);
            assert.ok(!e.message.includes(vc.password), e.message);
            assert.ok(!(e.stack ?? "").includes(wrong));
        });

        it("refuses the self-signed certificate without caFile", async () => {
            await assert.rejects(VsphereSoapClient.login(vc.connection({ caFile: undefined })), (e: Error & { code?: string }) => {
                assert.match(e.message, /self[- ]signed certificate|unable to verify/i);
                assert.match(e.message, /caFile/);
                assert.ok(!e.message.includes(vc.password));
                return true;
            });
        });

        it("connects without caFile when allowUnverifiedSsl is set", async () => {
            const c = await VsphereSoapClient.login(vc.connection({ caFile: undefined, allowUnverifiedSsl: true }));
            await c.logout();
        });

        it("fails clearly on an unreadable caFile", async () => {
            await assert.rejects(VsphereSoapClient.login(vc.connection({ caFile: "/nonexistent/ca.pem" })), /cannot read the vSphere CA file \/nonexistent\/ca.pem/);
        });
    });

    describe("inventory", () => {
        it("finds the datacenter, datastore, network and the cluster's resource pool", async () => {
            const dc = await client.findDatacenter("DC0");
            assert.strictEqual(dc?.type, "Datacenter");
            datastore = (await client.findDatastore("DC0", "LocalDS_0"))!;
            assert.strictEqual(datastore?.type, "Datastore");
            network = (await client.findNetwork("DC0", "VM Network"))!;
            assert.strictEqual(network?.type, "Network");
            const dvpg = await client.findNetwork("DC0", "DC0_DVPG0");
            assert.strictEqual(dvpg?.type, "DistributedVirtualPortgroup");
            pool = (await client.findClusterResourcePool("DC0", "DC0_C0"))!;
            assert.strictEqual(pool?.type, "ResourcePool");
            assert.strictEqual(await client.inventoryPath(pool), "/DC0/host/DC0_C0/Resources");
            const host = await client.findHost("DC0", "DC0_C0/DC0_C0_H0");
            assert.strictEqual(host?.type, "HostSystem");
        });

        it("returns null for missing paths and refuses objects of the wrong type", async () => {
            assert.strictEqual(await client.findByInventoryPath("DC0/vm/no-such-folder"), null);
            assert.strictEqual(await client.findDatacenter("DC9"), null);
            assert.strictEqual(await client.findDatastore("DC0", "nope"), null);
            await assert.rejects(client.findVmFolder("DC0", "DC0_H0_VM0"), /"DC0\/vm\/DC0_H0_VM0" is a VirtualMachine, expected Folder/);
        });

        it("creates folders (names are escaped) and reports DuplicateName", async () => {
            const vmFolder = (await client.findVmFolder("DC0"))!;
            folderA = await client.createFolder(vmFolder, folderAName);
            folderB = await client.createFolder(vmFolder, folderBName);
            assert.deepStrictEqual(await client.findVmFolder("DC0", folderAName), folderA);
            assert.strictEqual(await client.inventoryPath(folderA), `/DC0/vm/${folderAName}`);
            await expectFault(client.createFolder(vmFolder, folderAName), "DuplicateName");
        });

        it("gives the inventory path of any object (nested folders, a VM, a datastore, a network, a host) from one ancestors query; a missing object is not-found", async () => {
            let folder = (await client.findVmFolder("DC0"))!;
            const levels = ["l1", "l2 with space", "l3%2fslash", "l4"];
            const stored: string[] = [];
            for (const name of levels) {
                folder = await client.createFolder(folder, `${folderAName}-${name}`);
                stored.push(String((await client.getProperties(folder, ["name"])).name));
            }
            // The path is made of the names as the server stores them. vCenter keeps "%2f" (an
            // escape sequence) as given; govmomi v0.56's simulator escapes every "%" (folder.go,
            // escapeSpecialCharacters), so there the third level is "...l3%252fslash".
            assert.ok([`${folderAName}-l3%2fslash`, `${folderAName}-l3%252fslash`].includes(stored[2]), stored[2]);
            const nested = `/DC0/vm/${stored.join("/")}`;
            assert.strictEqual(await client.inventoryPath(folder), nested);
            const vm = (await client.findVm("DC0", "", "DC0_H0_VM0"))!;
            const expected: [ManagedObjectRef, string][] = [
                [vm, "/DC0/vm/DC0_H0_VM0"],
                [(await client.findDatastore("DC0", "LocalDS_0"))!, "/DC0/datastore/LocalDS_0"],
                [(await client.findNetwork("DC0", "VM Network"))!, "/DC0/network/VM Network"],
                [(await client.findHost("DC0", "DC0_C0/DC0_C0_H0"))!, "/DC0/host/DC0_C0/DC0_C0_H0"],
                [(await client.findDatacenter("DC0"))!, "/DC0"],
                [client.serviceContent.rootFolder, "/"],
            ];
            for (const [ref, path] of expected) assert.strictEqual(await client.inventoryPath(ref), path, `${ref.type} ${ref.value}`);
            // One round trip whatever the depth (the walk used to cost one call per level: 7 here).
            const calls: string[] = [];
            const call = client.call.bind(client);
            client.call = (method, thisRef, params) => {
                calls.push(method);
                return call(method, thisRef, params);
            };
            try {
                assert.strictEqual(await client.inventoryPath(folder), nested);
            } finally {
                client.call = call;
            }
            assert.deepStrictEqual(calls, ["RetrievePropertiesEx"]);
            await assert.rejects(client.inventoryPath({ type: "VirtualMachine", value: "vm-does-not-exist" }), (e: Error) => isNotFoundFault(e));
        });
    });

    describe("OVF import of a template", () => {
        const disk = crypto.randomBytes(64 * 1024 + 17);
        let fileItems: OvfFileItem[];
        let info: HttpNfcLeaseInfo;

        it("CreateImportSpec maps the network and returns a typed import spec and the disk to upload", async () => {
            const r = await client.createImportSpec({
                ovfDescriptor: ovfDescriptor({ name: "u-2204-0-k-12510-0", diskSize: disk.length }),
                resourcePool: pool,
                datastore,
                entityName: templateName,
                networkMapping: [{ name: "nic-net", network }],
                diskProvisioning: "thin",
            });
            assert.strictEqual(r.importSpec.xsiType, "VirtualMachineImportSpec");
            const xml = VsphereSoapClient.importSpecXml(r.importSpec);
            assert.match(xml, /xsi:type="VirtualVmxnet3"/);
            assert.match(xml, /xsi:type="VirtualDisk"/);
            assert.match(xml, /<deviceName>VM Network<\/deviceName>/);
            assert.match(xml, /<thinProvisioned>true<\/thinProvisioned>/);
            assert.ok(xml.includes("r_u-2204-0-k-12510-0 &amp; &lt;test&gt;"), xml);
            assert.deepStrictEqual(r.warnings, []);
            assert.strictEqual(r.fileItems.length, 1);
            assert.strictEqual(r.fileItems[0].path, "u-2204-0-k-12510-0-disk-0.vmdk");
            assert.strictEqual(r.fileItems[0].size, disk.length);
            assert.strictEqual(r.fileItems[0].create, false);
            fileItems = r.fileItems;

            const lease = await client.importVApp(pool, r.importSpec, folderA);
            assert.strictEqual(lease.type, "HttpNfcLease");
            info = await client.waitForLease(lease);
            assert.strictEqual(info.entity.type, "VirtualMachine");
            vm = info.entity;
        });

        it("uploads the disk to the lease's device URL (POST, streamVmdk) and completes the lease", async () => {
            const [{ deviceUrl }] = VsphereSoapClient.matchDeviceUrls(info, fileItems);
            // An ESX host sends "*" for the host the client connected to; vCenter (and govmomi
            // v0.56's simulator in its VPX model; 0.24.2's sent "*") sends an address. Either way
            // the URL used is the one we connected to; the "*" substitution is checked directly.
            assert.ok(deviceUrl.rawUrl.startsWith("https://*/nfc/") || deviceUrl.rawUrl.startsWith(`https://${vc.host}/nfc/`), deviceUrl.rawUrl);
            assert.ok(deviceUrl.url.startsWith(`https://${vc.host}/nfc/`), deviceUrl.url);
            assert.strictEqual(client.resolveDeviceUrl("https://*/nfc/52a1/disk-0.vmdk"), `https://${vc.host}/nfc/52a1/disk-0.vmdk`);
            assert.strictEqual(client.resolveDeviceUrl("https://*:443/nfc/52a1/disk-0.vmdk"), `https://${vc.host}/nfc/52a1/disk-0.vmdk`);
            assert.strictEqual(deviceUrl.disk, true);

            const progress: number[] = [];
            const keepAlive = client.startLeaseKeepAlive(info.lease, () => 50, 20);
            // many small chunks: streamed, not buffered
            const chunks = Array.from({ length: 17 }, (_, i) => disk.subarray(i * 4096, Math.min(disk.length, (i + 1) * 4096)));
            chunks.push(disk.subarray(17 * 4096));
            const res = await client.uploadToDeviceUrl(deviceUrl.url, Readable.from(chunks), disk.length, { onProgress: (n) => progress.push(n) });
            assert.strictEqual(res.statusCode, 200);
            assert.strictEqual(res.bytesSent, disk.length);
            assert.strictEqual(progress[progress.length - 1], disk.length);
            assert.ok(progress.length > 1);
            await new Promise((r) => setTimeout(r, 60));
            await keepAlive.stop();
            assert.strictEqual(keepAlive.lastError, undefined);
            // vcsim logs what its NFC handler received
            assert.match(vc.stderr(), new RegExp(`nfc POST [^\\n]*/disk-0\\.vmdk: transferred ${disk.length} bytes`));

            await client.leaseProgress(info.lease, 100);
            await client.leaseComplete(info.lease);

            assert.deepStrictEqual(await client.findVm("DC0", folderAName, templateName), vm);
            assert.strictEqual(await client.inventoryPath(vm), `/DC0/vm/${folderAName}/${templateName}`);
            const s = await client.getVmSummary(vm);
            assert.strictEqual(s?.name, templateName);
            assert.strictEqual(s?.template, false);
            assert.deepStrictEqual(s?.parent, folderA);
            assert.match(s?.vmPathName ?? "", /^\[LocalDS_0\] /);
            // the import spec went back with its xsi:types: the VM has the OVF's hardware
            const hw = await client.getProperties(vm, ["config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device", "config.guestId"]);
            assert.strictEqual(hw["config.hardware.numCPU"], 2);
            assert.strictEqual(hw["config.hardware.memoryMB"], 4096);
            assert.strictEqual(hw["config.guestId"], "ubuntu64Guest");
            const devices = hw["config.hardware.device"] as { _type: string; backing?: { deviceName?: string } }[];
            assert.ok(Array.isArray(devices));
            const types = devices.map((d) => d._type);
            assert.ok(types.includes("VirtualDisk"), types.join());
            assert.ok(types.includes("VirtualLsiLogicController"), types.join());
            const nic = devices.find((d) => d._type === "VirtualVmxnet3");
            assert.strictEqual(nic?.backing?.deviceName, "VM Network");
        });

        it("rejects an upload to an unknown device URL and a stream shorter than its size", async () => {
            await assert.rejects(
                client.uploadToDeviceUrl(`https://*/nfc/no-such-lease/disk-0.vmdk`, Readable.from([Buffer.from("x")]), 1),
                /HTTP 404/,
            );
            await assert.rejects(
                client.uploadToDeviceUrl(`https://*/nfc/no-such-lease/disk-0.vmdk`, Readable.from([Buffer.from("xy")]), 5),
                /2 bytes but the size is 5/,
            );
        });

        it("marks the VM as a template", async () => {
            await client.markAsTemplate(vm);
            const p = await client.getProperties(vm, ["config.template", "summary.config.template", "name"]);
            assert.deepStrictEqual(p, { "config.template": true, "summary.config.template": true, name: templateName });
            assert.strictEqual((await client.getVmSummary(vm))?.template, true);
            await expectFault(client.markAsTemplate(vm), "NotSupported");
        });

        it("sets the annotation of the template (ReconfigVM_Task)", async () => {
            const note = `imported by palette-airgap & "pulumi" <sha256:abc>\nline 2`;
            await client.setAnnotation(vm, note);
            assert.strictEqual((await client.getVmSummary(vm))?.annotation, note);
        });

        it("sees a rename and a move done behind its back", async () => {
            const renamedTo = `${templateName}-renamed`;
            await client.rename(vm, renamedTo);
            assert.strictEqual((await client.getVmSummary(vm))?.name, renamedTo);
            assert.strictEqual(await client.findVm("DC0", folderAName, templateName), null);

            await client.moveIntoFolder(folderB, [vm]);
            assert.strictEqual(await client.inventoryPath(vm), `/DC0/vm/${folderBName}/${renamedTo}`);
            assert.deepStrictEqual((await client.getVmSummary(vm))?.parent, folderB);

            await client.moveIntoFolder(folderA, [vm]);
            await client.rename(vm, templateName);
            assert.strictEqual(await client.inventoryPath(vm), `/DC0/vm/${folderAName}/${templateName}`);
        });

        it("reports a failed rename task with the task's fault", async () => {
            const other = await client.findVm("DC0", "", "DC0_H0_VM0");
            assert.ok(other);
            // vCenter: DuplicateName; govmomi's simulator (0.24.2 and v0.56): InvalidArgument with
            // the localizedMessage "*types.InvalidArgument"
            await assert.rejects(client.rename(other!, "DC0_H0_VM1"), (e: Error) => {
                assert.ok(isVsphereFault(e, "DuplicateName", "InvalidArgument"), e.message);
                assert.match(e.message, /^vSphere Rename_Task \(task-\d+\) on VirtualMachine vm-\d+ failed: /);
                assert.ok(e.message.includes((e as VsphereFault).faultString), e.message);
                return true;
            });
        });

        it("marks the template back as a VM in a pool", async () => {
            await client.markAsVirtualMachine(vm, pool);
            assert.strictEqual((await client.getVmSummary(vm))?.template, false);
            await client.markAsTemplate(vm);
        });

        it("destroys the template; destroying again is ManagedObjectNotFound", async () => {
            await client.destroy(vm);
            assert.strictEqual(await client.getVmSummary(vm), null);
            assert.strictEqual(await client.findVm("DC0", folderAName, templateName), null);
            const e = await expectFault(client.destroy(vm), "ManagedObjectNotFound");
            assert.ok(isNotFoundFault(e));
            assert.ok(isVsphereFault(e, "ManagedObjectNotFound", "Other"));
            await expectFault(client.getProperties(vm, ["name"]), "ManagedObjectNotFound");
        });
    });

    describe("failures during import", () => {
        it("surfaces CreateImportSpec errors as a VsphereFault", async () => {
            const badItem = `
      <Item>
        <rasd:ElementName>Mystery device</rasd:ElementName>
        <rasd:InstanceID>9</rasd:InstanceID>
        <rasd:ResourceType>99</rasd:ResourceType>
      </Item>`;
            const e = await expectFault(
                client.createImportSpec({
                    ovfDescriptor: ovfDescriptor({ name: "bad", diskSize: 10, extraItem: badItem }),
                    resourcePool: pool,
                    datastore,
                    entityName: "bad",
                }),
                "OvfUnsupportedType",
            );
            assert.match(e.message, /CreateImportSpec for "bad" reported 1 error\(s\): unsupported resource type: 99/);
        });

        it("reports an unparsable descriptor as InvalidArgument", async () => {
            await expectFault(
                client.createImportSpec({ ovfDescriptor: "<Envelope><oops", resourcePool: pool, datastore, entityName: "bad" }),
                "InvalidArgument",
            );
        });

        it("aborts a lease: vcsim keeps the VM (vCenter removes it), so the caller destroys it", async () => {
            const name = "aborted-import";
            const r = await client.createImportSpec({
                ovfDescriptor: ovfDescriptor({ name, diskSize: 3 }),
                resourcePool: pool,
                datastore,
                entityName: name,
                networkMapping: [{ name: "nic-net", network }],
            });
            const lease = await client.importVApp(pool, r.importSpec, folderB);
            const info = await client.waitForLease(lease);
            await client.leaseAbort(lease, "upload failed: disk checksum mismatch");
            const left = await client.findVm("DC0", folderBName, name);
            if (left) {
                // govmomi's simulator (0.24.2 and v0.56) leaves the VM in place after HttpNfcLeaseAbort
                assert.deepStrictEqual(left, info.entity);
                await client.destroy(left);
            }
            assert.strictEqual(await client.findVm("DC0", folderBName, name), null);
            // the aborted lease is gone
            await expectFault(client.leaseComplete(lease), "ManagedObjectNotFound");
        });

        it("refuses a second import with the same name (vCenter: DuplicateName; vcsim: FileAlreadyExists)", async () => {
            const name = "imported-twice";
            const spec = () =>
                client.createImportSpec({ ovfDescriptor: ovfDescriptor({ name, diskSize: 3 }), resourcePool: pool, datastore, entityName: name });
            const lease = await client.importVApp(pool, (await spec()).importSpec, folderB);
            const info = await client.waitForLease(lease);
            await client.leaseComplete(lease);
            await assert.rejects(
                (async () => client.waitForLease(await client.importVApp(pool, (await spec()).importSpec, folderB)))(),
                (e: Error) => isVsphereFault(e, "DuplicateName", "FileAlreadyExists"),
            );
            await client.destroy(info.entity);
        });

        it("uploads with certificate-thumbprint pinning (no CA) and refuses a wrong thumbprint", async () => {
            const name = "pinned-upload";
            const r = await client.createImportSpec({
                ovfDescriptor: ovfDescriptor({ name, diskSize: 3 }),
                resourcePool: pool,
                datastore,
                entityName: name,
            });
            const lease = await client.importVApp(pool, r.importSpec, folderB);
            const info = await client.waitForLease(lease);
            const [{ deviceUrl }] = VsphereSoapClient.matchDeviceUrls(info, r.fileItems);
            const thumbprint = new crypto.X509Certificate(fs.readFileSync(vc.caFile)).fingerprint; // SHA-1
            const noCa = { rejectUnauthorized: true };
            await assert.rejects(
                uploadStream(deviceUrl.url, Readable.from([Buffer.from("abc")]), 3, noCa, { sslThumbprint: "00:11:22" }),
                /does not match the expected 001122/,
            );
            await assert.rejects(uploadStream(deviceUrl.url, Readable.from([Buffer.from("abc")]), 3, noCa), /self[- ]signed certificate/);
            const res = await uploadStream(deviceUrl.url, Readable.from([Buffer.from("abc")]), 3, noCa, { sslThumbprint: thumbprint });
            assert.strictEqual(res.statusCode, 200);
            await client.leaseComplete(lease);
            await client.destroy(info.entity);
        });

        it("names the call in faults for bad references", async () => {
            const e = await expectFault(client.markAsTemplate({ type: "VirtualMachine", value: "vm-does-not-exist" }), "ManagedObjectNotFound");
            assert.match(e.message, /MarkAsTemplate/);
        });
    });
});
