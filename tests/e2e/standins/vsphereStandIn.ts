/**
 * Stand-in for pulumi-vsphere 4.17.0, for the resources and functions this package declares
 * (components/vsphere/vsphereSdk.ts): each call is made by govc, built from govmomi's Go module
 * (scripts/toolchain/govmomi), against the vCenter the provider is configured with (vcsim in the
 * tests). Property names and ids follow the real provider's schema (`../shared/schemas/vsphere-
 * schema.json`): ids are managed object ids (`datacenter-2`, `group-v123`). The password reaches
 * govc only through its environment (GOVC_PASSWORD), never its arguments.
 */
import { execFile } from "child_process";
import { changedKeys, type Props, serveStandIn, type StandInResource } from "./standInServer";

let govcEnv: Record<string, string> = {};

/** One govc call; a connection the simulator dropped (EOF, seen under parallel logins) is tried once more. */
async function govc(args: string[]): Promise<string> {
    try {
        return await govcOnce(args);
    } catch (error) {
        if (!/\bEOF\b|connection reset/i.test((error as Error).message)) throw error;
        return govcOnce(args);
    }
}

function govcOnce(args: string[]): Promise<string> {
    const binary = process.env.PALETTE_E2E_GOVC || "govc";
    return new Promise((resolve, reject) => {
        execFile(binary, args, { env: { ...(process.env as Record<string, string>), ...govcEnv }, timeout: 120_000 }, (error, stdout, stderr) => {
            if (error) reject(new Error(`govc ${args[0]}: ${(stderr || error.message).trim()}`));
            else resolve(stdout.trim());
        });
    });
}

/** `Type:moref` of an inventory path, undefined when nothing is there. */
async function morefOf(inventoryPath: string): Promise<string | undefined> {
    // `ls -i` of a folder lists what is inside it; find in the parent names the object itself.
    const parent = inventoryPath.split("/").slice(0, -1).join("/") || "/";
    const name = inventoryPath.split("/").pop()!;
    const listed = await govc(["find", "-i", parent, "-maxdepth", "1", "-name", name]).catch(() => "");
    return listed.split("\n").find(Boolean);
}

/** The inventory path of a managed object, undefined when it is gone. */
async function pathOf(type: string, id: string): Promise<string | undefined> {
    const listed = await govc(["ls", "-L", `${type}:${id}`]).catch((error: Error) => {
        if (/not found|ManagedObjectNotFound|has already been deleted/i.test(error.message)) return "";
        throw error;
    });
    return listed.split("\n").find(Boolean);
}

async function datacenterPath(datacenterId: string): Promise<string> {
    const found = await pathOf("Datacenter", datacenterId);
    if (!found) throw new Error(`datacenter ${datacenterId} not found`);
    return found;
}

const FOLDER_ROOTS: Record<string, string> = { vm: "vm", host: "host", datastore: "datastore", network: "network" };

const folder: StandInResource = {
    diff(_id, olds, news) {
        const changed = changedKeys(olds, news, ["path", "type", "datacenterId"]);
        return { replaces: changed.filter((key) => key !== "path"), updates: changed.filter((key) => key === "path") };
    },
    async create(inputs) {
        const root = `${await datacenterPath(inputs.datacenterId)}/${FOLDER_ROOTS[inputs.type] ?? inputs.type}`;
        const full = `${root}/${inputs.path}`;
        await govc(["folder.create", full]);
        const moref = await morefOf(full);
        if (!moref) throw new Error(`folder ${full} was created but cannot be found`);
        return { id: moref.split(":")[1], outputs: { ...inputs, customAttributes: {}, tags: [] } };
    },
    async read(id, state) {
        const full = await pathOf("Folder", id);
        if (!full) return undefined;
        const root = `${await datacenterPath(state.datacenterId)}/${FOLDER_ROOTS[state.type] ?? state.type}/`;
        return { ...state, path: full.startsWith(root) ? full.slice(root.length) : full };
    },
    async update(id, olds, news) {
        const full = await pathOf("Folder", id);
        if (!full) throw new Error(`folder ${id} not found`);
        const newName = String(news.path).split("/").pop()!;
        if (String(olds.path).split("/").slice(0, -1).join("/") !== String(news.path).split("/").slice(0, -1).join("/")) {
            const root = `${await datacenterPath(news.datacenterId)}/${FOLDER_ROOTS[news.type] ?? news.type}`;
            const parent = [root, ...String(news.path).split("/").slice(0, -1)].join("/");
            await govc(["object.mv", full, parent]);
        }
        const moved = (await pathOf("Folder", id))!;
        if (moved.split("/").pop() !== newName) await govc(["object.rename", moved, newName]);
        return { ...olds, ...news };
    },
    async delete(id) {
        const full = await pathOf("Folder", id);
        if (!full) return;
        const children = await govc(["ls", full]);
        if (children) throw new Error(`folder ${full} is not empty (${children.split("\n").length} objects): the vSphere provider does not delete a folder that still holds objects`);
        await govc(["object.destroy", full]);
    },
};

/** `<datacenter path>/<root>/<name>` → its managed object id, or the real provider's "not found" error. */
async function idUnder(args: Props, root: string, kind: string, findType?: string): Promise<{ id: string; type: string; path: string }> {
    const base = `${await datacenterPath(args.datacenterId)}/${root}`;
    const full = `${base}/${args.name}`;
    const moref = findType
        ? (await govc(["find", "-i", base, "-type", findType, "-name", String(args.name).split("/").pop()!])).split("\n").find(Boolean)
        : await morefOf(full);
    if (!moref) throw new Error(`error fetching ${kind}: ${kind} '${args.name}' not found`);
    const [type, id] = moref.split(":");
    return { id, type, path: full };
}

async function getComputeCluster(args: Props): Promise<Props> {
    const cluster = await idUnder(args, "host", "cluster", "c");
    const pool = await morefOf(`${cluster.path}/Resources`);
    return { id: cluster.id, name: args.name, resourcePoolId: pool!.split(":")[1] };
}

async function getResourcePool(args: Props): Promise<Props> {
    return { id: (await idUnder(args, "host", "resource pool")).id, name: args.name };
}

async function getDatastore(args: Props): Promise<Props> {
    return { id: (await idUnder(args, "datastore", "datastore")).id, name: args.name };
}

async function getNetwork(args: Props): Promise<Props> {
    const network = await idUnder(args, "network", "network");
    return { id: network.id, name: args.name, type: network.type };
}

interface Device {
    type: string;
    key: number;
    unitNumber?: number;
    capacityInKB?: number;
    backing?: { thinProvisioned?: boolean; eagerlyScrub?: boolean };
}

async function devicesOf(vmPath: string): Promise<Device[]> {
    return (JSON.parse(await govc(["device.info", "-json", "-vm", vmPath])) as { devices: Device[] }).devices;
}

const SCSI_TYPES: Record<string, string> = { ParaVirtualSCSIController: "pvscsi", VirtualLsiLogicController: "lsilogic", VirtualLsiLogicSASController: "lsilogic-sas" };
const NIC_TYPES: Record<string, string> = { VirtualE1000: "e1000", VirtualE1000e: "e1000e", VirtualVmxnet3: "vmxnet3", VirtualVmxnet2: "vmxnet2" };

async function getVirtualMachine(args: Props): Promise<Props> {
    const base = `${await datacenterPath(args.datacenterId)}/vm`;
    const found = (await govc(["find", base, "-type", "m", "-name", String(args.name).split("/").pop()!])).split("\n").filter(Boolean);
    if (found.length !== 1) throw new Error(`error fetching virtual machine: ${found.length === 0 ? "not found" : "more than one found"}: ${args.name}`);
    const vmPath = found[0];
    const [uuid, guestId, firmware] = (await govc(["object.collect", "-s", vmPath, "config.uuid", "config.guestId", "config.firmware"])).split("\n");
    const devices = await devicesOf(vmPath);
    const moref = (await morefOf(vmPath))!;
    return {
        id: uuid,
        moid: moref.split(":")[1],
        uuid,
        guestId,
        firmware,
        scsiType: devices.map((device) => SCSI_TYPES[device.type]).find(Boolean) ?? "pvscsi",
        disks: devices
            .filter((device) => device.type === "VirtualDisk")
            .map((disk, index) => ({
                label: `Hard disk ${index + 1}`,
                size: Math.ceil((disk.capacityInKB ?? 0) / 1024 / 1024),
                thinProvisioned: disk.backing?.thinProvisioned ?? false,
                eagerlyScrub: disk.backing?.eagerlyScrub ?? false,
                unitNumber: disk.unitNumber ?? index,
            })),
        networkInterfaceTypes: devices.map((device) => NIC_TYPES[device.type]).filter(Boolean),
    };
}

const VM_UPDATES = ["name", "numCpus", "memory", "annotation", "extraConfig"];
const VM_INPUTS = ["name", "resourcePoolId", "datastoreId", "folder", "numCpus", "memory", "guestId", "firmware", "scsiType", "networkInterfaces", "disks", "clone", "extraConfig", "annotation"];

async function vmPathById(id: string): Promise<string | undefined> {
    return pathOf("VirtualMachine", id);
}

/** The VM's path by its uuid (the resource's id, as the real provider's). */
async function vmPathByUuid(uuid: string): Promise<string | undefined> {
    const found = await govc(["vm.info", "-json", "-vm.uuid", uuid]).catch(() => "");
    const vm = found ? (JSON.parse(found) as { virtualMachines?: { self: { value: string } }[] }).virtualMachines?.[0] : undefined;
    return vm ? vmPathById(vm.self.value) : undefined;
}

async function applyVmSettings(vmPath: string, inputs: Props): Promise<void> {
    // extraConfig values reach govc as arguments: the stand-in is given only non-secret user data in the tests.
    const extra = Object.entries((inputs.extraConfig ?? {}) as Record<string, string>).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
    await govc(["vm.change", "-vm", vmPath, "-c", String(inputs.numCpus ?? 1), "-m", String(inputs.memory ?? 1024), ...(inputs.annotation ? ["-annotation", inputs.annotation] : []), ...extra]);
}

async function vmOutputs(vmPath: string, inputs: Props): Promise<Props> {
    const [uuid, ip] = (await govc(["object.collect", "-s", vmPath, "config.uuid", "guest.ipAddress"])).split("\n");
    const moid = (await morefOf(vmPath))!.split(":")[1];
    return { ...inputs, uuid, moid, defaultIpAddress: ip ?? "", guestIpAddresses: ip ? [ip] : [] };
}

const virtualMachine: StandInResource = {
    diff(_id, olds, news) {
        const changed = changedKeys(olds, news, VM_INPUTS);
        const top = (key: string) => key.replace(/\[.*$/, "");
        return { replaces: changed.filter((key) => !VM_UPDATES.includes(top(key))), updates: changed.filter((key) => VM_UPDATES.includes(top(key))) };
    },
    async create(inputs) {
        const template = await vmPathByUuid(inputs.clone?.templateUuid);
        if (!template) throw new Error(`error cloning virtual machine: template ${inputs.clone?.templateUuid} not found`);
        const datacenter = template.split("/").slice(0, 2).join("/");
        const folder = `${datacenter}/vm${inputs.folder ? `/${inputs.folder}` : ""}`;
        const pool = await pathOf("ResourcePool", inputs.resourcePoolId);
        const datastore = await pathOf("Datastore", inputs.datastoreId);
        await govc(["vm.clone", "-vm", template, "-on=false", "-folder", folder, ...(pool ? ["-pool", pool] : []), ...(datastore ? ["-ds", datastore] : []), inputs.name]);
        const vmPath = `${folder}/${inputs.name}`;
        await applyVmSettings(vmPath, inputs);
        await govc(["vm.power", "-on", vmPath]);
        const outputs = await vmOutputs(vmPath, inputs);
        return { id: outputs.moid, outputs };
    },
    async read(id, state) {
        const vmPath = await vmPathById(id);
        if (!vmPath) return undefined;
        return { ...state, name: vmPath.split("/").pop() };
    },
    async update(id, olds, news) {
        let vmPath = await vmPathById(id);
        if (!vmPath) throw new Error(`virtual machine ${id} not found`);
        if (olds.name !== news.name) {
            await govc(["object.rename", vmPath, news.name]);
            vmPath = (await vmPathById(id))!;
        }
        await govc(["vm.power", "-off", "-force", vmPath]).catch(() => undefined);
        await applyVmSettings(vmPath, news);
        await govc(["vm.power", "-on", vmPath]);
        return vmOutputs(vmPath, news);
    },
    async delete(id) {
        const vmPath = await vmPathById(id);
        if (vmPath) await govc(["vm.destroy", vmPath]);
    },
};

async function getDatacenter(args: Props): Promise<Props> {
    const found = await govc(["find", "-i", "/", "-type", "d", "-name", args.name]);
    const moref = found.split("\n").find(Boolean);
    if (!moref) throw new Error(`error fetching datacenter: datacenter '${args.name}' not found`);
    return { id: moref.split(":")[1], name: args.name, virtualMachines: [] };
}

serveStandIn({
    name: "vsphere",
    version: "4.17.0",
    configure(values: Props) {
        const server = values.vsphereServer ?? process.env.VSPHERE_SERVER;
        govcEnv = {
            GOVC_URL: `https://${server}/sdk`,
            GOVC_USERNAME: values.user ?? process.env.VSPHERE_USER ?? "",
            GOVC_PASSWORD: values.password ?? process.env.VSPHERE_PASSWORD ?? "",
            GOVC_INSECURE: String(values.allowUnverifiedSsl === "true" || values.allowUnverifiedSsl === true),
            ...(process.env.SSL_CERT_FILE ? { GOVC_TLS_CA_CERTS: process.env.SSL_CERT_FILE } : {}),
        };
    },
    resources: { "vsphere:index/folder:Folder": folder, "vsphere:index/virtualMachine:VirtualMachine": virtualMachine },
    functions: {
        "vsphere:index/getDatacenter:getDatacenter": getDatacenter,
        "vsphere:index/getComputeCluster:getComputeCluster": getComputeCluster,
        "vsphere:index/getResourcePool:getResourcePool": getResourcePool,
        "vsphere:index/getDatastore:getDatastore": getDatastore,
        "vsphere:index/getNetwork:getNetwork": getNetwork,
        "vsphere:index/getVirtualMachine:getVirtualMachine": getVirtualMachine,
    },
});
