/** The public surface of palette-airgap: components, config and the pure helpers. */
export { AirgapEnvironment, AirgapEnvironmentArgs, RegistrySummary } from "./airgapEnvironment";
export * from "./config";
export { CONFIG_KEYS, ConfigKeySpec } from "./configKeys";
export { PackBinary, ovaTemplateName, parsePackBinary } from "./names";
export { SetupTarget, setupEnvironment } from "./setup/setupEnvironment";
export { OvaTemplate, OvaTemplateArgs } from "./vsphere/ovaTemplate";
export { TemplatesFolder, TemplatesFolderArgs } from "./vsphere/templatesFolder";
export { Folder, FolderArgs, VsphereProvider, VsphereProviderArgs, getDatacenterOutput } from "./vsphere/vsphereSdk";
