/** The public surface of palette-airgap: components, config and the pure helpers. */
export { AirgapEnvironment, AirgapEnvironmentArgs, RegistrySummary } from "./airgapEnvironment";
export * from "./config";
export { CONFIG_KEYS, ConfigKeySpec } from "./configKeys";
export { PackBinary, ovaTemplateName, parsePackBinary } from "./names";
export { ManifestFileServer, ManifestFileServerArgs } from "./fileserver/manifestFileServer";
export { OciRegistry, OciRegistryArgs, ecrAccountId } from "./registry/ociRegistry";
export { HarborProject, HarborProjectArgs } from "./registry/harborProject";
export { AirgapSetup, AirgapSetupArgs } from "./setup/airgapSetup";
export { PackUploads, PackUploadsArgs } from "./setup/packUploads";
export { PREFLIGHT_SKIP_ENV, runPreflight } from "./setup/runPreflight";
export { SetupTarget, setupEnvironment } from "./setup/setupEnvironment";
export { PaletteCliAnswers, paletteCliAnswers } from "./validate/paletteCli";
export { Validation, ValidationArgs, validationRegistry } from "./validate/validation";
export { OvaTemplate, OvaTemplateArgs } from "./vsphere/ovaTemplate";
export { TemplatesFolder, TemplatesFolderArgs } from "./vsphere/templatesFolder";
export { Folder, FolderArgs, VsphereProvider, VsphereProviderArgs, getDatacenterOutput } from "./vsphere/vsphereSdk";
