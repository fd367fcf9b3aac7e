/**
 * Schema of the three custom resources the plugin serves, typed against the inputs their Check
 * receives and the outputs their Create/Read/Update return (see spec.ts).
 */
import type { HarborProjectInputs, HarborProjectOutputs } from "../../components/registry/harborProjectProvider";
import { HARBOR_PROJECT_TOKEN, OVA_TEMPLATE_IMPORT_TOKEN, VALIDATION_RUN_TOKEN } from "../../components/customResourceTokens";
import type { ValidationInputs, ValidationOutputs } from "../../components/validate/validationProvider";
import type { OVA_TEMPLATE_DEFAULTS, OvaTemplateInputs, OvaTemplateOutputs } from "../../components/vsphere/ovaTemplateProvider";
import { typeRef, type PropertiesOf, type ResourceSpec } from "./spec";

/** The inputs as a user gives them: those Check defaults are optional. */
type WithDefaults<T, D extends keyof T> = Omit<T, D> & Partial<Pick<T, D>>;
/** What the state holds besides the inputs. */
type OutputsBeyond<O, I> = Omit<O, keyof I>;

export const DISK_PROVISIONING_TYPE = "palette-airgap:vsphere:DiskProvisioning";
export const REGISTRY_KIND_TYPE = "palette-airgap:index:RegistryKind";

/** Also the source of the components' vCenter and placement properties (components.ts). */
export const OVA_TEMPLATE_IMPORT_INPUTS: PropertiesOf<WithDefaults<OvaTemplateInputs, keyof typeof OVA_TEMPLATE_DEFAULTS>> = {
    server: { type: "string", required: true, description: "vCenter host[:port], no scheme (config vsphereServer)." },
    user: { type: "string", required: true, description: "vCenter user (config vsphereUser)." },
    password: { type: "string", required: true, secret: true, description: "vCenter password (config vspherePassword); a secret." },
    allowUnverifiedSsl: { type: "boolean", default: false, description: "Skip TLS verification of vCenter and the ESXi hosts. Default: false." },
    caFile: { type: "string", description: "Absolute path of the PEM CA bundle of vCenter and the ESXi hosts. Default: the system trust store." },
    datacenter: { type: "string", required: true, description: "Datacenter name (config datacenter)." },
    folderPath: { type: "string", required: true, description: "VM folder path relative to the datacenter's VM folder, e.g. spectro-templates (config templateFolder)." },
    datastore: { type: "string", required: true, description: "Datastore for the template's disks (config datastore)." },
    network: { type: "string", required: true, description: "Port group every OVF network is mapped to (config network)." },
    cluster: { type: "string", description: "Compute cluster to import into; set this or resourcePool (config cluster). Default: unset." },
    resourcePool: { type: "string", description: "Resource pool path under the datacenter's host folder; set this or cluster (config resourcePool). Default: unset." },
    source: { type: "string", required: true, description: "Absolute local path or http(s) URL of the OVA (config ovaSource). A change replaces the template." },
    sourceCaFile: { type: "string", description: "Absolute path of the CA (PEM) of an https OVA mirror (config ovaCaFile). Default: the system trust store." },
    sourceAuthorization: { type: "string", secret: true, description: "Authorization header value for an https OVA mirror (Basic from config ovaSourceUsername + ovaSourcePassword, or Bearer from ovaSourceToken); a secret, sent only over https and never across a redirect to another origin. Default: unset (no authentication)." },
    expectedSha256: { type: "string", description: "Expected sha256 of the whole OVA, 64 hex digits (config ovaSha256). Default: unset (the OVA's own manifest is always checked). A change replaces the template." },
    sourceFingerprint: { type: "string", description: "size:mtime of a local OVA when no sha256 is given, so that a new file at the same path is a new OVA. Default: unset." },
    templateName: { type: "string", required: true, description: "Template name; must start with r_ (Palette only finds r_ templates). A change renames in place." },
    markAsTemplate: { type: "boolean", default: true, description: "Mark the imported VM as a template. Default: true." },
    diskProvisioning: { ...typeRef(DISK_PROVISIONING_TYPE), default: "thin", description: "Disk provisioning of the template: thin, thick or eagerZeroedThick. Default: thin. A change replaces the template." },
};

const ovaTemplateOutputs: PropertiesOf<OutputsBeyond<OvaTemplateOutputs, OvaTemplateInputs>> = {
    moid: { type: "string", required: true, description: "Managed object id of the template (also the resource id), e.g. vm-123." },
    inventoryPath: { type: "string", required: true, description: "Full inventory path, e.g. /dc-lab/vm/spectro-templates/r_u-2204-0-k-12510-0." },
    ovaSha256: { type: "string", required: true, description: "sha256 of the OVA the template was imported from." },
    observedName: { type: "string", required: true, description: "The template's name in vCenter when last read (drift: a rename)." },
    observedFolderPath: { type: "string", required: true, description: "Inventory path of the template's folder when last read (drift: a move)." },
    observedIsTemplate: { type: "boolean", required: true, description: "Whether vCenter marked it as a template when last read (drift: turned into a VM)." },
    observedOvaSha256: { type: "string", required: true, description: "The OVA sha256 in the template's annotation when last read (drift: another OVA under this name)." },
};

const harborProjectInputs: PropertiesOf<HarborProjectInputs> = {
    endpoint: { type: "string", required: true, description: "Harbor host[:port]; https://host[:port] is accepted, http:// is refused (config registryEndpoint). A change replaces the project." },
    username: { type: "string", required: true, description: "Harbor user allowed to create projects (config registryUsername)." },
    password: { type: "string", required: true, secret: true, description: "Password of username (config registryPassword); a secret." },
    caFile: { type: "string", description: "Absolute path of the PEM CA certificate of Harbor's certificate (config registryCaFile). Default: the system trust store." },
    insecure: { type: "boolean", default: false, description: "Skip TLS verification of Harbor; HTTPS is still required (config registryInsecure). Default: false." },
    projectName: { type: "string", required: true, description: "Harbor project name, e.g. spectro-packs. A change replaces the project (deleted first)." },
    public: { type: "boolean", required: true, description: "Whether the project is public (spectro-images) or private (spectro-packs)." },
    allowDeleteNonEmpty: { type: "boolean", default: false, description: "Let delete and replace remove the project while it still holds repositories (config registryAllowDeleteNonEmpty). Default: false." },
};

const harborProjectOutputs: PropertiesOf<OutputsBeyond<HarborProjectOutputs, HarborProjectInputs>> = {
    projectId: { type: "integer", required: true, description: "Harbor's numeric project id (also the resource id)." },
    repoCount: { type: "integer", required: true, description: "Repositories in the project when last seen (create, update or refresh)." },
    adopted: { type: "boolean", required: true, description: "True when the project already existed and was adopted rather than created." },
};

/** Also the source of the Validation component's registry properties (components.ts). */
export const VALIDATION_RUN_INPUTS: PropertiesOf<ValidationInputs> = {
    scarUrl: { type: "string", description: "Base URL of the manifest file server (Palette's SCAR); the manifests check runs when set. Default: unset." },
    scarCaFile: { type: "string", description: "Absolute path of the PEM CA of an https file server. Default: the system trust store." },
    scarInsecure: { type: "boolean", default: false, description: "Skip TLS verification of an https file server. Default: false." },
    registryKind: { ...typeRef(REGISTRY_KIND_TYPE), description: "harbor, generic or ecr; the registry check runs when set. Default: unset." },
    registryEndpoint: { type: "string", description: "harbor/generic: registry host[:port] (config registryEndpoint). Required with registryKind harbor or generic." },
    registryUsername: { type: "string", description: "harbor/generic: registry user (config registryUsername). Required with registryKind harbor or generic." },
    registryPassword: { type: "string", secret: true, description: "harbor/generic: registry password (config registryPassword); a secret. Required with registryKind harbor or generic." },
    registryCaFile: { type: "string", description: "harbor/generic: absolute path of the registry's PEM CA (config registryCaFile). Default: the system trust store." },
    registryInsecure: { type: "boolean", default: false, description: "harbor/generic: skip TLS verification (config registryInsecure). Default: false." },
    packBase: { type: "string", default: "spectro-packs", description: "Repository base of the packs (config packBase). Default: spectro-packs." },
    imageBase: { type: "string", default: "spectro-images", description: "Repository base of the images (config imageBase). Default: spectro-images." },
    ecrRegion: { type: "string", description: "ecr: region of the private registry (config ecrRegion). Required with registryKind ecr." },
    ecrPublicImages: { type: "boolean", default: true, description: "ecr: images in ECR Public, us-east-1 (config ecrPublicImages). Default: true." },
    ecrImageRegion: { type: "string", description: "ecr with private images: region of the images registry (config ecrImageRegion). Default: ecrRegion." },
    imageRegistryKind: { ...typeRef(REGISTRY_KIND_TYPE), description: "harbor/generic with a separate images registry: its kind, harbor or generic (config imageRegistryKind). Default: registryKind." },
    imageRegistryEndpoint: { type: "string", description: "harbor/generic: the images registry's host[:port] when it is not the packs registry (config imageRegistryEndpoint); the images base is then checked there. Default: unset, both bases on registryEndpoint." },
    imageRegistryUsername: { type: "string", description: "The images registry's user (config imageRegistryUsername). Required with imageRegistryEndpoint." },
    imageRegistryPassword: { type: "string", secret: true, description: "The images registry's password (config imageRegistryPassword); a secret. Required with imageRegistryEndpoint." },
    imageRegistryCaFile: { type: "string", description: "Absolute path of the images registry's PEM CA (config imageRegistryCaFile). Default: the system trust store." },
    imageRegistryInsecure: { type: "boolean", default: false, description: "Skip TLS verification of the images registry (config imageRegistryInsecure). Default: false." },
    vsphereServer: { type: "string", description: "vCenter host; the template check runs when set (config vsphereServer). Default: unset." },
    vsphereUser: { type: "string", description: "vCenter user (config vsphereUser). Required with vsphereServer." },
    vspherePassword: { type: "string", secret: true, description: "vCenter password (config vspherePassword); a secret. Required with vsphereServer." },
    vsphereAllowUnverifiedSsl: { type: "boolean", default: false, description: "Skip TLS verification of vCenter (config vsphereAllowUnverifiedSsl). Default: false." },
    vsphereCaFile: { type: "string", description: "Absolute path of vCenter's PEM CA (config vsphereCaFile). Default: the system trust store." },
    datacenter: { type: "string", description: "Datacenter name (config datacenter). Required with vsphereServer." },
    templateFolder: { type: "string", description: "Folder path under the datacenter's VM folder, e.g. spectro-templates (config templateFolder). Required with vsphereServer." },
    templateName: { type: "string", description: "The r_ template's name. Required with vsphereServer." },
    triggers: { type: "string", description: "Opaque text (JSON of the Validation's triggers): a change re-runs the checks. Default: unset." },
};

const validationOutputs: PropertiesOf<OutputsBeyond<ValidationOutputs, ValidationInputs>> = {
    report: { type: "array", items: { type: "string" }, required: true, description: "One line per check: `ok   manifests: ...` or `FAIL registry: ...`." },
    passed: { type: "boolean", required: true, description: "Every check passed (after a refresh: at the time of the refresh)." },
};

export const CUSTOM_RESOURCE_SPECS: readonly ResourceSpec[] = [
    {
        token: OVA_TEMPLATE_IMPORT_TOKEN,
        description: "An OVA imported into a vSphere folder as the r_ VM template Palette clones its nodes from (the vSphere provider cannot import an OVA as a template). Read reports a template renamed, moved, turned into a VM or replaced behind Pulumi's back.",
        isComponent: false,
        inputs: OVA_TEMPLATE_IMPORT_INPUTS,
        outputs: ovaTemplateOutputs,
    },
    {
        token: HARBOR_PROJECT_TOKEN,
        description: "One Harbor project (API v2.0). An existing project of the same name is adopted; delete refuses a project that still holds repositories unless allowDeleteNonEmpty.",
        isComponent: false,
        inputs: harborProjectInputs,
        outputs: harborProjectOutputs,
    },
    {
        token: VALIDATION_RUN_TOKEN,
        description: "Post-install checks (manifests on the file server, repositories under both bases, the r_ template), run at create and at every refresh; create and update fail with the report when a check fails.",
        isComponent: false,
        inputs: VALIDATION_RUN_INPUTS,
        outputs: validationOutputs,
    },
];
