/**
 * The custom resources the plugin serves: each type token with its implementation and the
 * properties the protocol must carry as secrets (whether or not the engine sent them as secrets),
 * which are those the package schema marks secret.
 */
import type { ResourceProvider } from "../components/resourceProvider";
import { HARBOR_PROJECT_TOKEN } from "../components/registry/harborProject";
import { harborProjectProvider } from "../components/registry/harborProjectProvider";
import { VALIDATION_RUN_TOKEN } from "../components/validate/validation";
import { validationProvider } from "../components/validate/validationProvider";
import { OVA_TEMPLATE_IMPORT_TOKEN } from "../components/vsphere/ovaTemplate";
import { ovaTemplateProvider } from "../components/vsphere/ovaTemplateProvider";
import { secretInputs } from "./schema/packageSchema";

export interface CustomResourceType {
    readonly token: string;
    readonly provider: ResourceProvider;
    readonly secretProperties: readonly string[];
}

export const CUSTOM_RESOURCES: readonly CustomResourceType[] = [
    { token: OVA_TEMPLATE_IMPORT_TOKEN, provider: ovaTemplateProvider, secretProperties: secretInputs(OVA_TEMPLATE_IMPORT_TOKEN) },
    { token: HARBOR_PROJECT_TOKEN, provider: harborProjectProvider, secretProperties: secretInputs(HARBOR_PROJECT_TOKEN) },
    { token: VALIDATION_RUN_TOKEN, provider: validationProvider, secretProperties: secretInputs(VALIDATION_RUN_TOKEN) },
];
