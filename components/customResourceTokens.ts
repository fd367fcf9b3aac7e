/**
 * The type tokens of the custom resources the plugin serves, in a module that imports nothing:
 * the plugin routes calls and builds its schema by these tokens without loading the component
 * modules that declare the resources (they load all of @pulumi/pulumi, about 1 s and 60 MiB,
 * which the plugin must not pay before it prints its port; see bench/PLUGIN-START.md).
 */
export const HARBOR_PROJECT_TOKEN = "palette-airgap:registry:HarborProject";
export const VALIDATION_RUN_TOKEN = "palette-airgap:validate:ValidationRun";
export const OVA_TEMPLATE_IMPORT_TOKEN = "palette-airgap:vsphere:OvaTemplateImport";
