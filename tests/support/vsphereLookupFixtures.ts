/** What the vSphere provider's lookups return under the mock engine (ids shaped like vCenter's). */
export const VSPHERE_LOOKUP_FIXTURES: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    "vsphere:index/getDatacenter:getDatacenter": (args) => ({ id: "datacenter-3", name: args.name, virtualMachines: [] }),
    "vsphere:index/getComputeCluster:getComputeCluster": (args) => ({ id: "domain-c8", name: args.name, datacenterId: args.datacenterId, resourcePoolId: "resgroup-9" }),
    "vsphere:index/getResourcePool:getResourcePool": (args) => ({ id: "resgroup-42", name: args.name, datacenterId: args.datacenterId }),
    "vsphere:index/getDatastore:getDatastore": (args) => ({ id: "datastore-11", name: args.name, datacenterId: args.datacenterId }),
    "vsphere:index/getNetwork:getNetwork": (args) => ({ id: "network-13", name: args.name, datacenterId: args.datacenterId, type: "Network" }),
    "vsphere:index/getVirtualMachine:getVirtualMachine": (args) => ({
        id: "4216d0b6-1c2f-7a3e-9d55-0c1e2f3a4b5c",
        name: args.name,
        moid: "vm-100",
        uuid: "4216d0b6-1c2f-7a3e-9d55-0c1e2f3a4b5c",
        guestId: "ubuntu64Guest",
        firmware: "efi",
        scsiType: "pvscsi",
        disks: [{ label: "Hard disk 1", size: 20, thinProvisioned: true, eagerlyScrub: false, unitNumber: 0 }],
        networkInterfaceTypes: ["vmxnet3"],
    }),
};
