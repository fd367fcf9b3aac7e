/**
 * The palette-airgap program: one stack prepares one air-gapped vSphere environment for a
 * self-hosted Palette installation. The configuration is validated as a whole before any resource
 * is declared.
 */
import { AirgapEnvironment, loadConfig } from "./components";

const config = loadConfig();
const environment = new AirgapEnvironment("palette", config);

/** Inventory path of the template folder (Palette CLI: image template folder). */
export const templateFolder = environment.templateFolderPath;
/** The VM template Palette clones its nodes from. */
export const templateName = environment.templateName;
/** Full inventory path of that template. */
export const templatePath = environment.templatePath;
/** Registry kind, endpoint, bases, insecure flag and CA path. */
export const registry = environment.registry;
/** The variables the setup binary runs with (harbor and generic registries). */
export const setupEnvironment = environment.setupEnvironment;
