/**
 * Schema of the components the plugin constructs for other languages, typed against the Args
 * the TypeScript components take and the outputs they register (see spec.ts).
 *
 * AirgapEnvironment takes the stack configuration's keys (CONFIG_KEYS, the one table of them),
 * so that a Python, Go, .NET, Java or YAML program gives exactly what a stack file gives, and
 * loadConfig() validates it the same way.
 */
import type { AirgapEnvironment, RegistrySummary } from "../../components/airgapEnvironment";
import type { DiskProvisioning, FileServerMode, Lifecycle, LoginToolName, RegistryKind } from "../../components/config";
import type { ManifestFileServer } from "../../components/fileserver/manifestFileServer";
import type { OciRegistry } from "../../components/registry/ociRegistry";
import type { AirgapSetup } from "../../components/setup/airgapSetup";
import { CONFIG_KEYS, SECTION_KEYS, type ConfigKeySpec } from "../../components/configKeys";
import type { EnvironmentOutputs } from "../../components/environmentOutputs";
import type { ValidationArgs, ValidationImageRegistryArgs, ValidationRegistryArgs, ValidationTemplateArgs, Validation } from "../../components/validate/validation";
import type { OvaTemplate, OvaTemplateArgs } from "../../components/vsphere/ovaTemplate";
import type { TemplatesFolder, TemplatesFolderArgs } from "../../components/vsphere/templatesFolder";
import { DISK_PROVISIONING_TYPE, OVA_TEMPLATE_IMPORT_INPUTS, REGISTRY_KIND_TYPE, VALIDATION_RUN_INPUTS } from "./customResources";
import { ANY, typeRef, type EnumSpec, type OutputValues, type PropertiesOf, type PropertySpec, type ResourceSpec } from "./spec";

export const AIRGAP_ENVIRONMENT_TOKEN = "palette-airgap:index:AirgapEnvironment";
export const TEMPLATES_FOLDER_TOKEN = "palette-airgap:vsphere:TemplatesFolder";
export const OVA_TEMPLATE_TOKEN = "palette-airgap:vsphere:OvaTemplate";
export const VALIDATION_TOKEN = "palette-airgap:validate:Validation";
export const OCI_REGISTRY_TOKEN = "palette-airgap:registry:OciRegistry";
export const AIRGAP_SETUP_TOKEN = "palette-airgap:setup:AirgapSetup";
export const MANIFEST_FILE_SERVER_TOKEN = "palette-airgap:fileserver:ManifestFileServer";

/**
 * The inputs of the parts constructed alone: the config keys of their section, named as in the
 * stack config (so the config reference documents them) and validated by the same readers.
 */
export const PART_INPUT_KEYS: Readonly<Record<string, readonly string[]>> = {
    [OCI_REGISTRY_TOKEN]: ["lifecycle", ...SECTION_KEYS.registry],
    /** What pushes where: the registry's connection (nothing is created there) and the setup keys; not what destroy does to the registry. */
    [AIRGAP_SETUP_TOKEN]: [...SECTION_KEYS.registry.filter((key) => key !== "registryAllowDeleteNonEmpty" && key !== "protectRegistryContent"), ...SECTION_KEYS.setup],
    /** vm mode places the VM with the vSphere keys (and connects with them). */
    [MANIFEST_FILE_SERVER_TOKEN]: [...SECTION_KEYS.fileServer, ...SECTION_KEYS.vsphere.filter((key) => key !== "templateFolder")],
};

const FILE_SERVER_MODE_TYPE = "palette-airgap:fileserver:FileServerMode";
const LOGIN_TOOL_TYPE = "palette-airgap:setup:LoginTool";
const LIFECYCLE_TYPE = "palette-airgap:index:Lifecycle";
const REGISTRY_SUMMARY_TYPE = "palette-airgap:index:RegistrySummary";
const PACK_SUMMARY_TYPE = "palette-airgap:setup:PackSummary";
const VALIDATION_REGISTRY_TYPE = "palette-airgap:validate:ValidationRegistry";
const VALIDATION_IMAGE_REGISTRY_TYPE = "palette-airgap:validate:ValidationImageRegistry";
const VALIDATION_TEMPLATE_TYPE = "palette-airgap:validate:ValidationTemplate";

/** The closed sets, one description per value; `Record<Union, ...>` makes tsc require every member. */
const diskProvisioningValues: Record<DiskProvisioning, string> = {
    thin: "Thin provisioned disks (grow as written).",
    thick: "Thick provisioned, lazily zeroed.",
    eagerZeroedThick: "Thick provisioned, zeroed at creation.",
};
const registryKind: Record<RegistryKind, string> = {
    harbor: "Harbor: the spectro-packs and spectro-images projects are created through its API.",
    ecr: "AWS ECR: private repositories for the packs, ECR Public (or private ECR) for the images.",
    generic: "Any OCI registry: nothing is created; the setup binary pushes to it.",
};
const fileServerMode: Record<FileServerMode, string> = {
    vm: "A VM cloned from fileServerTemplate, configured by cloud-init.",
    docker: "A container on fileServerDockerHost.",
};
const loginTool: Record<LoginToolName, string> = {
    oras: "oras login (the setup binary uses oras itself).",
    docker: "docker login.",
    skopeo: "skopeo login.",
};
const lifecycle: Record<Lifecycle, string> = {
    production: "The template and the registry content are protected and the folder kept on destroy.",
    lab: "Destroy removes everything.",
};

export const ENUMS: Record<string, EnumSpec> = {
    [DISK_PROVISIONING_TYPE]: { description: "Disk provisioning of the imported template.", values: diskProvisioningValues },
    [REGISTRY_KIND_TYPE]: { description: "The kind of registry that holds the packs and images.", values: registryKind },
    [FILE_SERVER_MODE_TYPE]: { description: "Where the manifest file server runs.", values: fileServerMode },
    [LOGIN_TOOL_TYPE]: { description: "The registry login tool of the setup run (all write the same credentials file).", values: loginTool },
    [LIFECYCLE_TYPE]: { description: "What pulumi destroy removes, keeps and refuses.", values: lifecycle },
};

/** Config keys whose values are one of a closed set. */
const CONFIG_KEY_ENUMS: Record<string, string> = {
    diskProvisioning: DISK_PROVISIONING_TYPE,
    registryKind: REGISTRY_KIND_TYPE,
    fileServerMode: FILE_SERVER_MODE_TYPE,
    loginTool: LOGIN_TOOL_TYPE,
    lifecycle: LIFECYCLE_TYPE,
};

/** One config key as an input of AirgapEnvironment: type, description with its default, secret. */
function configKeyInput(spec: ConfigKeySpec): PropertySpec & { required?: boolean } {
    const unset = spec.default === "" || (Array.isArray(spec.default) && spec.default.length === 0);
    const defaultText = spec.default === undefined ? "Required." : unset ? "Default: unset." : `Default: ${JSON.stringify(spec.default)}.`;
    const description = `${spec.description} ${defaultText} Stack config key palette-airgap:${spec.key}; e.g. ${spec.example}.`;
    const common = {
        description,
        ...(spec.secret ? { secret: true } : {}),
        ...(spec.default === undefined ? { required: true } : {}),
        ...(!unset && spec.default !== undefined && !Array.isArray(spec.default) ? { default: spec.default } : {}),
    };
    if (CONFIG_KEY_ENUMS[spec.key]) return { ...typeRef(CONFIG_KEY_ENUMS[spec.key]), ...common };
    if (spec.type === "array") return { type: "array", items: { type: "string" }, ...common };
    return { type: spec.type, ...common };
}

/** The config keys `keys` as inputs (description, default, secret, enum), as AirgapEnvironment takes them. */
function configKeyInputs(keys: readonly string[], vsphereRequiredOnlyIn?: string): Record<string, PropertySpec & { required?: boolean }> {
    return Object.fromEntries(
        CONFIG_KEYS.filter((spec) => keys.includes(spec.key)).map((spec) => {
            const input = configKeyInput(spec);
            // A vSphere key the part needs only in one mode: required there, not in the schema.
            if (vsphereRequiredOnlyIn && SECTION_KEYS.vsphere.includes(spec.key) && input.required) {
                const { required: _required, ...optional } = input;
                return [spec.key, { ...optional, description: optional.description.replace(/ Required\./, ` Required in ${vsphereRequiredOnlyIn}.`) }];
            }
            return [spec.key, input];
        }),
    );
}

type RegistryOutputNames = "packRegistry" | "packBase" | "imageRegistry" | "imageBase" | "packRegion" | "imageRegion" | "caFile" | "insecure" | "imageCaFile" | "imageInsecure";
const ociRegistryOutputs: PropertiesOf<Pick<OutputValues<OciRegistry>, RegistryOutputNames | "kind" | "imageKind"> & { setupEnvironment: Record<string, string> }> = {
    kind: { ...typeRef(REGISTRY_KIND_TYPE), required: true, description: "Kind of the packs registry (registryKind)." },
    imageKind: { ...typeRef(REGISTRY_KIND_TYPE), required: true, description: "Kind of the images registry (imageRegistryKind, default registryKind; ecr for ECR)." },
    packRegistry: { type: "string", required: true, description: "Registry host of the packs: the Harbor/generic endpoint or <account>.dkr.ecr.<region>.amazonaws.com." },
    packBase: { type: "string", required: true, description: "Repository base of the packs, e.g. spectro-packs." },
    imageRegistry: { type: "string", required: true, description: "Registry of the images: the endpoint, the private ECR host, or public.ecr.aws/<alias>." },
    imageBase: { type: "string", required: true, description: "Repository base of the images, e.g. spectro-images." },
    packRegion: { type: "string", description: "ecr: region of the packs registry; unset otherwise." },
    imageRegion: { type: "string", description: "ecr: region of the images registry (us-east-1 for ECR Public); unset otherwise." },
    caFile: { type: "string", description: "Harbor/generic: the packs registry's CA file (registryCaFile), when configured." },
    insecure: { type: "boolean", required: true, description: "Harbor/generic: TLS verification of the packs registry is skipped (registryInsecure); false for ECR." },
    imageCaFile: { type: "string", description: "Harbor/generic: the images registry's CA file, when configured." },
    imageInsecure: { type: "boolean", required: true, description: "Harbor/generic: TLS verification of the images registry is skipped; false for ECR." },
    setupEnvironment: { type: "object", additionalProperties: { type: "string" }, required: true, description: "The OCI_* / ECR_* variables the setup binary runs with against this registry (no secret among them)." },
};

const airgapSetupOutputs: PropertiesOf<Pick<OutputValues<AirgapSetup>, "manifestsZip" | "version" | "attempts" | "logFile" | "binarySha256" | "logDir"> & { packs: OutputValues<EnvironmentOutputs>["packs"] }> = {
    binarySha256: { type: "string", required: true, description: "sha256 of the setup binary (a trigger of the run: new content runs it again)." },
    manifestsZip: { type: "string", description: "The spectro-manifests zip the run wrote (what the file server publishes); unknown in a first preview." },
    version: { type: "string", description: "Palette version the setup binary reported; unknown in a first preview." },
    attempts: { type: "integer", description: "Attempts the setup run took; unknown in preview." },
    logFile: { type: "string", description: "Log file of the successful attempt." },
    logDir: { type: "string", required: true, description: "Directory of the runs' logs: <workDir>/runs/<stack>/logs." },
    packs: { type: "array", items: typeRef(PACK_SUMMARY_TYPE), required: true, description: "The pack binaries pushed after the setup run, with their versions and sha256." },
};

const manifestFileServerOutputs: PropertiesOf<Pick<OutputValues<ManifestFileServer>, "scarUrl" | "ipAddress" | "webRoot" | "manifestsSha256">> = {
    scarUrl: { type: "string", required: true, description: "http(s)://<address>:<port>, what Palette's CLI asks for (SCAR URL)." },
    ipAddress: { type: "string", required: true, description: "vm mode: the static address or the guest's IP; docker mode: the Docker host's address." },
    webRoot: { type: "string", required: true, description: "Directory served on the file server." },
    manifestsSha256: { type: "string", required: true, description: "sha256 of the published manifests zip." },
};

/** The inputs of ManifestFileServer that are not config keys: what it publishes. */
const manifestFileServerOwnInputs: Record<string, PropertySpec & { required?: boolean }> = {
    manifestsZip: { type: "string", required: true, description: "Local path of the spectro-manifests zip to publish: an AirgapSetup's manifestsZip output (may be unknown in preview)." },
    manifestsZipSha256: { type: "string", description: "sha256 of the zip. Default: computed from the file at deployment time." },
};

const airgapEnvironmentOutputs: PropertiesOf<OutputValues<EnvironmentOutputs>> = {
    templateFolder: { type: "string", required: true, description: "Inventory path of the template folder (Palette CLI: image template folder), e.g. /dc-lab/vm/spectro-templates." },
    templateName: { type: "string", required: true, description: "The r_ VM template Palette clones its nodes from." },
    templatePath: { type: "string", required: true, description: "Full inventory path of that template." },
    registry: { ...typeRef(REGISTRY_SUMMARY_TYPE), required: true, description: "Registry kind, endpoints, bases, regions, insecure flag and CA path, for packs and images." },
    setupEnvironment: { type: "object", additionalProperties: { type: "string" }, required: true, description: "The variables the setup binary ran with (no secret among them)." },
    manifestsZip: { type: "string", description: "The spectro-manifests zip the setup run produced (what the file server publishes); unknown in a first preview." },
    paletteVersion: { type: "string", description: "Palette version the setup binary reported; unknown in a first preview." },
    packs: { type: "array", items: typeRef(PACK_SUMMARY_TYPE), required: true, description: "The pack binaries pushed, with their versions and sha256." },
    scarUrl: { type: "string", required: true, description: "The file server hosting the manifests (Palette CLI: SCAR URL)." },
    fileServerAddress: { type: "string", required: true, description: "Address of the file server." },
    validation: { type: "array", items: { type: "string" }, required: true, description: "One line per post-install check; pulumi preview --refresh re-runs them." },
    paletteCli: { ...ANY, secret: true, required: true, description: "Every answer palette ec install asks for (SCAR, registries for packs and images, template folder and name); a secret, as it holds the registry password." },
};

const registrySummary: PropertiesOf<RegistrySummary> = {
    kind: { ...typeRef(REGISTRY_KIND_TYPE), required: true, description: "harbor, ecr or generic." },
    packRegistry: { type: "string", required: true, description: "Registry host of the packs." },
    packBase: { type: "string", required: true, description: "Repository base of the packs, e.g. spectro-packs." },
    imageRegistry: { type: "string", required: true, description: "Registry of the images (the endpoint, the private ECR host, or public.ecr.aws/<alias>)." },
    imageBase: { type: "string", required: true, description: "Repository base of the images, e.g. spectro-images." },
    packRegion: { type: "string", description: "ecr: region of the packs registry." },
    imageRegion: { type: "string", description: "ecr: region of the images registry (us-east-1 for ECR Public)." },
    insecure: { type: "boolean", required: true, description: "Palette's Allow Insecure Connection answer for the packs registry." },
    caFile: { type: "string", description: "Absolute path of the packs registry's CA certificate, when configured." },
    imageKind: { ...typeRef(REGISTRY_KIND_TYPE), required: true, description: "Kind of the images registry (config imageRegistryKind, default registryKind)." },
    imageInsecure: { type: "boolean", required: true, description: "Allow Insecure Connection for the images registry." },
    imageCaFile: { type: "string", description: "Absolute path of the images registry's CA certificate, when configured." },
};

const packSummary: PropertiesOf<OutputValues<EnvironmentOutputs>["packs"][number]> = {
    name: { type: "string", required: true, description: "Pack name, from the file name airgap-pack-<name>-<version>.bin." },
    version: { type: "string", required: true, description: "Pack version, from the file name." },
    sha256: { type: "string", required: true, description: "sha256 of the pack binary that was pushed." },
    attempts: { type: "integer", description: "Attempts the push took (unknown in preview)." },
};

/** TemplatesFolder: the vSphere provider comes from the `providers` resource option in other languages. */
const templatesFolderInputs: PropertiesOf<Omit<TemplatesFolderArgs, "provider">> = {
    datacenter: { type: "string", required: true, description: "Datacenter name (config datacenter)." },
    path: { type: "string", default: "spectro-templates", description: "Folder path relative to the datacenter's VM folder (config templateFolder). Default: spectro-templates." },
    retainOnDelete: { type: "boolean", default: false, description: "Leave the folder in vSphere on destroy (it may hold templates of other stacks). Default: false." },
};
const templatesFolderOutputs: PropertiesOf<Pick<OutputValues<TemplatesFolder>, "datacenterId" | "path" | "inventoryPath">> = {
    datacenterId: { type: "string", required: true, description: "Managed object id of the datacenter." },
    path: { type: "string", required: true, description: "Path relative to the datacenter's VM folder, e.g. spectro-templates." },
    inventoryPath: { type: "string", required: true, description: "Full inventory path, e.g. /dc-lab/vm/spectro-templates; Palette's CLI asks for it." },
};

/** vCenter connection and placement: described once, on the custom resource. */
const { server, user, password, allowUnverifiedSsl, caFile, datacenter, folderPath, datastore, network, cluster, resourcePool, sourceCaFile, sourceAuthorization, markAsTemplate, diskProvisioning } = OVA_TEMPLATE_IMPORT_INPUTS;

const ovaTemplateComponentInputs: PropertiesOf<OvaTemplateArgs> = {
    server, user, password, allowUnverifiedSsl, caFile, datacenter, folderPath, datastore, network, cluster, resourcePool, sourceCaFile, sourceAuthorization, markAsTemplate, diskProvisioning,
    source: { type: "string", required: true, description: "Absolute local path or http(s) URL of the OVA (config ovaSource); a plain value, not an output: the template name derives from it." },
    sha256: { type: "string", description: "Expected sha256 of the whole OVA (config ovaSha256). Default: unset (the OVA's own manifest is always checked)." },
    templateName: { type: "string", description: "Template name; must start with r_ (config templateName). Default: r_ + the OVA's file name without .ova." },
};
const ovaTemplateComponentOutputs: PropertiesOf<Pick<OutputValues<OvaTemplate>, "templateName" | "moid" | "inventoryPath" | "ovaSha256">> = {
    templateName: { type: "string", required: true, description: "The template's name, r_<ova name>." },
    moid: { type: "string", required: true, description: "Managed object id, e.g. vm-123." },
    inventoryPath: { type: "string", required: true, description: "Full inventory path of the template." },
    ovaSha256: { type: "string", required: true, description: "sha256 of the OVA the template was imported from." },
};

/** The registry check: described once, on the ValidationRun custom resource. */
const runInputs = VALIDATION_RUN_INPUTS;
const validationRegistry: PropertiesOf<ValidationRegistryArgs> = {
    kind: { ...typeRef(REGISTRY_KIND_TYPE), required: true, description: "harbor (project API), generic (/v2/_catalog) or ecr (AWS CLI)." },
    endpoint: runInputs.registryEndpoint,
    username: runInputs.registryUsername,
    password: runInputs.registryPassword,
    caFile: runInputs.registryCaFile,
    insecure: runInputs.registryInsecure,
    packBase: runInputs.packBase,
    imageBase: runInputs.imageBase,
    region: runInputs.ecrRegion,
    publicImages: runInputs.ecrPublicImages,
    imageRegion: runInputs.ecrImageRegion,
    images: { ...typeRef(VALIDATION_IMAGE_REGISTRY_TYPE), description: "harbor/generic: the images registry, when it is not this one; the images base is checked there. Default: unset." },
};
const validationImageRegistry: PropertiesOf<ValidationImageRegistryArgs> = {
    kind: { ...typeRef(REGISTRY_KIND_TYPE), required: true, description: "harbor or generic (config imageRegistryKind)." },
    endpoint: { ...runInputs.imageRegistryEndpoint, required: true },
    username: { ...runInputs.imageRegistryUsername, required: true },
    password: { ...runInputs.imageRegistryPassword, required: true },
    caFile: runInputs.imageRegistryCaFile,
    insecure: runInputs.imageRegistryInsecure,
};
const validationTemplate: PropertiesOf<ValidationTemplateArgs> = {
    server, user, password, allowUnverifiedSsl, caFile, datacenter, folderPath,
    templateName: { type: "string", required: true, description: "The r_ template's name (an OvaTemplate's templateName)." },
};
const validationComponentInputs: PropertiesOf<ValidationArgs> = {
    scarUrl: { type: "string", description: "Base URL of the manifest file server (Palette's SCAR). Default: unset, the manifests check does not run." },
    scarCaFile: { type: "string", description: "PEM CA of an https file server. Default: the system trust store." },
    scarInsecure: { type: "boolean", default: false, description: "Skip TLS verification of an https file server. Default: false." },
    registry: { ...typeRef(VALIDATION_REGISTRY_TYPE), description: "The registry check. Default: unset, the registry check does not run." },
    template: { ...typeRef(VALIDATION_TEMPLATE_TYPE), description: "The template check. Default: unset, the template check does not run." },
    triggers: { type: "array", items: ANY, description: "Values whose change re-runs the checks at the next pulumi up. Default: none." },
};
const validationComponentOutputs: PropertiesOf<Pick<OutputValues<Validation>, "report" | "passed">> = {
    report: { type: "array", items: { type: "string" }, required: true, description: "One line per check: `ok   manifests: ...` or `FAIL registry: ...`." },
    passed: { type: "boolean", required: true, description: "Every check passed (after a refresh: at the time of the refresh)." },
};

/** Object types of the package: token → properties. */
export const OBJECT_TYPES: Record<string, { description: string; properties: ResourceSpec["inputs"] }> = {
    [REGISTRY_SUMMARY_TYPE]: { description: "What Palette's CLI asks about the registries (packs and images, each with its own settings).", properties: registrySummary },
    [PACK_SUMMARY_TYPE]: { description: "One pack binary pushed by the setup run.", properties: packSummary },
    [VALIDATION_REGISTRY_TYPE]: { description: "The registry check's parameters.", properties: validationRegistry },
    [VALIDATION_IMAGE_REGISTRY_TYPE]: { description: "The images registry of the registry check, when it is not the packs registry.", properties: validationImageRegistry },
    [VALIDATION_TEMPLATE_TYPE]: { description: "The template check's parameters.", properties: validationTemplate },
};

export const COMPONENT_SPECS: readonly ResourceSpec[] = [
    {
        token: AIRGAP_ENVIRONMENT_TOKEN,
        description:
            "One air-gapped vSphere environment for a self-hosted Palette: templates folder, r_ OVA template, registry (Harbor, ECR or generic), setup run, pack uploads, manifest file server and validation. Its inputs are the stack configuration's keys, validated as a whole before anything is created.",
        isComponent: true,
        inputs: Object.fromEntries(CONFIG_KEYS.map((spec) => [spec.key, configKeyInput(spec)])),
        outputs: airgapEnvironmentOutputs,
    },
    {
        token: TEMPLATES_FOLDER_TOKEN,
        description: "The vSphere VM-and-Template folder the r_ template goes in (procedure step 3). The vSphere provider comes from the providers resource option.",
        isComponent: true,
        inputs: templatesFolderInputs,
        outputs: templatesFolderOutputs,
    },
    {
        token: OVA_TEMPLATE_TOKEN,
        description: "The OS+K8s OVA imported into a folder as the r_ VM template Palette clones its nodes from, with drift detection (procedure steps 3 and 4).",
        isComponent: true,
        inputs: ovaTemplateComponentInputs,
        outputs: ovaTemplateComponentOutputs,
    },
    {
        token: VALIDATION_TOKEN,
        description: "The post-install checks (manifests on the file server, repositories under both bases, the r_ template), re-run by pulumi preview --refresh.",
        isComponent: true,
        inputs: validationComponentInputs,
        outputs: validationComponentOutputs,
    },
    {
        token: OCI_REGISTRY_TOKEN,
        description:
            "The registry the setup and pack binaries push to (procedure steps 5 to 8): Harbor projects (packs private, images public), ECR repositories with create-on-push templates (images in ECR Public or private), or nothing for a generic registry. Its inputs are the registry keys of the stack configuration, validated as loadConfig() validates them.",
        isComponent: true,
        inputs: configKeyInputs(PART_INPUT_KEYS[OCI_REGISTRY_TOKEN]),
        outputs: ociRegistryOutputs,
    },
    {
        token: AIRGAP_SETUP_TOKEN,
        description:
            "The setup run (airgap-v<version>.bin) and then the pack binaries, pushing to registries that exist already (nothing is created there; ECR Public images need AirgapEnvironment, as their registry alias is known only from the repository). Preflight checks this machine first. Its inputs are the registry connection and setup keys of the stack configuration, validated as loadConfig() validates them.",
        isComponent: true,
        inputs: configKeyInputs(PART_INPUT_KEYS[AIRGAP_SETUP_TOKEN]),
        outputs: airgapSetupOutputs,
    },
    {
        token: MANIFEST_FILE_SERVER_TOKEN,
        description:
            "The manifest file server (Palette's SCAR): a VM cloned from fileServerTemplate (vm mode, placed and connected with the vSphere keys) or a container on fileServerDockerHost (docker mode), publishing a manifests zip. Its inputs are the file-server keys (and, in vm mode, the vSphere keys) of the stack configuration, validated as loadConfig() validates them.",
        isComponent: true,
        inputs: { ...configKeyInputs(PART_INPUT_KEYS[MANIFEST_FILE_SERVER_TOKEN], "vm mode"), ...manifestFileServerOwnInputs },
        outputs: manifestFileServerOutputs,
    },
];

/** The type of AirgapEnvironment, for the construct that builds it. */
export type { AirgapEnvironment };
