/**
 * The custom resources the plugin serves: each type token with its implementation and the
 * properties the protocol must carry as secrets (whether or not the engine sent them as secrets),
 * which are those the package schema marks secret.
 *
 * The implementation and the secret list load at the first call for that type (getters): the
 * implementations pull in undici, fast-xml-parser, yaml and the SOAP and OVA code, and the list
 * the package schema, none of which the plugin needs before it prints its port (the engine
 * starts the plugin on every preview; bench/PLUGIN-START.md). tests/plugin/startup.test.ts
 * checks that they stay unloaded at start.
 */
import { HARBOR_PROJECT_TOKEN, OVA_TEMPLATE_IMPORT_TOKEN, VALIDATION_RUN_TOKEN } from "../components/customResourceTokens";
import type { ResourceProvider } from "../components/resourceProvider";

export interface CustomResourceType {
    readonly token: string;
    readonly provider: ResourceProvider;
    readonly secretProperties: readonly string[];
}

/** A resource type whose implementation (`load`) and secret list are loaded once, when first used. */
function lazyResourceType(token: string, load: () => ResourceProvider): CustomResourceType {
    let provider: ResourceProvider | undefined;
    let secretProperties: readonly string[] | undefined;
    return {
        token,
        get provider() {
            return (provider ??= load());
        },
        get secretProperties() {
            // eslint-disable-next-line @typescript-eslint/no-var-requires
            return (secretProperties ??= (require("./schema/packageSchema") as typeof import("./schema/packageSchema")).secretInputs(token));
        },
    };
}

/* eslint-disable @typescript-eslint/no-var-requires */
export const CUSTOM_RESOURCES: readonly CustomResourceType[] = [
    lazyResourceType(OVA_TEMPLATE_IMPORT_TOKEN, () => (require("../components/vsphere/ovaTemplateProvider") as typeof import("../components/vsphere/ovaTemplateProvider")).ovaTemplateProvider),
    lazyResourceType(HARBOR_PROJECT_TOKEN, () => (require("../components/registry/harborProjectProvider") as typeof import("../components/registry/harborProjectProvider")).harborProjectProvider),
    lazyResourceType(VALIDATION_RUN_TOKEN, () => (require("../components/validate/validationProvider") as typeof import("../components/validate/validationProvider")).validationProvider),
];
/* eslint-enable @typescript-eslint/no-var-requires */
