/**
 * The palette-airgap program: one stack prepares one air-gapped vSphere environment for a
 * self-hosted Palette installation. The configuration is validated as a whole, then preflight
 * checks the machine (tools, disk, binaries, registry), before any resource is declared.
 */
import { AirgapEnvironment, loadConfig, runPreflight } from "./components";
import { environmentOutputs } from "./components/environmentOutputs";

export = async () => {
    const config = loadConfig();
    await runPreflight(config, { loginTool: config.setup.loginTool, minFreeGb: config.setup.minFreeGb });
    const environment = new AirgapEnvironment("palette", config);
    return environmentOutputs(environment);
};
