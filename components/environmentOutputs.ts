/**
 * What one environment answers: the stack outputs of the program (index.ts) and the outputs of
 * `palette-airgap:index:AirgapEnvironment` when another language constructs it through the
 * provider plugin. One function, so that both always say the same.
 */
import type { AirgapEnvironment } from "./airgapEnvironment";

export function environmentOutputs(environment: AirgapEnvironment) {
    return {
        /** Inventory path of the template folder (Palette CLI: image template folder). */
        templateFolder: environment.templateFolderPath,
        /** The VM template Palette clones its nodes from. */
        templateName: environment.templateName,
        /** Full inventory path of that template. */
        templatePath: environment.templatePath,
        /** Registry kind, endpoints, bases, regions, insecure flag and CA path, for packs and images. */
        registry: environment.registry,
        /** The variables the setup binary ran with. */
        setupEnvironment: environment.setupEnvironment,
        /** The manifests zip the setup run produced (what the file server publishes). */
        manifestsZip: environment.airgapSetup.manifestsZip,
        /** Palette version the setup binary reported. */
        paletteVersion: environment.airgapSetup.version,
        /** The pack binaries pushed, with their sha256. */
        packs: environment.packUploads.summary,
        /** The file server hosting the manifests (Palette CLI: SCAR URL). */
        scarUrl: environment.manifestFileServer.scarUrl,
        /** Address of the file server. */
        fileServerAddress: environment.manifestFileServer.ipAddress,
        /** One line per post-install check (`pulumi preview --refresh` re-runs them). */
        validation: environment.validation.report,
        /** Every answer `palette ec install` asks for: `pulumi stack output paletteCli --show-secrets`. */
        paletteCli: environment.paletteCli,
    };
}

export type EnvironmentOutputs = ReturnType<typeof environmentOutputs>;
