/**
 * The palette-airgap program: one stack prepares one air-gapped vSphere environment for a
 * self-hosted Palette installation. The configuration is validated as a whole, then preflight
 * checks the machine (tools, disk, binaries, registry), before any resource is declared.
 */
import { AirgapEnvironment, ecrAccountId, loadConfig, runPreflight } from "./components";
import { environmentOutputs } from "./components/environmentOutputs";

export = async () => {
    const config = loadConfig();
    await runPreflight(config, { loginTool: config.setup.loginTool, minFreeGb: config.setup.minFreeGb });
    // ECR: the account of the registry hosts, checked before any resource exists.
    const environment = new AirgapEnvironment("palette", { ...config, ecrAccountId: await ecrAccountId(config.registry) });
    return environmentOutputs(environment);
};
