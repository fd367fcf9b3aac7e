/**
 * The custom resources the plugin serves: each type token with its implementation and the
 * properties the protocol must carry as secrets (whether or not the engine sent them as secrets).
 */
import type { ResourceProvider } from "../components/resourceProvider";
import { HARBOR_PROJECT_TOKEN } from "../components/registry/harborProject";
import { harborProjectProvider } from "../components/registry/harborProjectProvider";
import { VALIDATION_RUN_TOKEN } from "../components/validate/validation";
import { validationProvider } from "../components/validate/validationProvider";
import { OVA_TEMPLATE_IMPORT_TOKEN } from "../components/vsphere/ovaTemplate";
import { ovaTemplateProvider } from "../components/vsphere/ovaTemplateProvider";

export interface CustomResourceType {
    readonly token: string;
    readonly provider: ResourceProvider;
    readonly secretProperties: readonly string[];
}

export const CUSTOM_RESOURCES: readonly CustomResourceType[] = [
    { token: OVA_TEMPLATE_IMPORT_TOKEN, provider: ovaTemplateProvider, secretProperties: ["password", "sourceAuthorization"] },
    { token: HARBOR_PROJECT_TOKEN, provider: harborProjectProvider, secretProperties: ["password"] },
    { token: VALIDATION_RUN_TOKEN, provider: validationProvider, secretProperties: ["registryPassword", "vspherePassword"] },
];
