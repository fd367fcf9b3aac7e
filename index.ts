/**
 * The palette-airgap program: one stack prepares one air-gapped vSphere environment for a
 * self-hosted Palette installation. The configuration is validated as a whole, then preflight
 * checks the machine (tools, disk, binaries, registry), before any resource is declared.
 */
import { AirgapEnvironment, loadConfig, runPreflight } from "./components";

export = async () => {
    const config = loadConfig();
    await runPreflight(config, { loginTool: config.setup.loginTool, minFreeGb: config.setup.minFreeGb });
    const environment = new AirgapEnvironment("palette", config);
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
};
