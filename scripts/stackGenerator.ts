/**
 * The stack generator's logic (scripts/new-stack.ts is its command line): the questions a new
 * stack must answer, each answer checked by loadConfig() itself (scripts/configProblems.ts), the
 * stack file, and the commands to run next.
 *
 * Secrets are never asked: the generator prints `pulumi config set --secret` lines instead, so a
 * password never passes through this process, its arguments, the terminal's scrollback or the
 * stack file, and the Pulumi CLI encrypts it with the stack's secrets provider (which this
 * process could not do without the CLI and the passphrase).
 */
import * as YAML from "yaml";
import { CONFIG_KEYS, ConfigCondition, PROJECT_NAME, configKey } from "../components/configKeys";
import { KeyProblem, configProblems } from "./configProblems";

/** Answers by config key (plus the `placement` choice); lists are arrays. */
export type Answers = Record<string, string | string[]>;

export interface Question {
    /** A config key, or `placement` (cluster or resource pool; not written). */
    key: string;
    /** What is asked. */
    prompt: string;
    /** Allowed answers, when they are a fixed set. */
    choices?: readonly string[];
    /** Asked only when these hold (default: always). */
    when?: readonly ConfigCondition[] | ((answers: Answers) => boolean);
    /** Answer used for an empty reply; default: the key's default in CONFIG_KEYS. */
    suggested?: string;
}

const OCI = { key: "registryKind", in: ["harbor", "generic"] } as const;
const VM = { key: "fileServerMode", in: ["vm"] } as const;
const DOCKER = { key: "fileServerMode", in: ["docker"] } as const;

/** The questions, in the order of the procedure: vCenter, placement, OVA, registry, binaries, file server. */
const ALL_QUESTIONS: readonly Question[] = [
    { key: "vsphereServer", prompt: "vCenter host name or IP (no https://)" },
    { key: "vsphereUser", prompt: "vCenter user" },
    { key: "vsphereCaFile", prompt: "vCenter's CA certificate, absolute path (empty: the system's trusted CAs)" },
    { key: "datacenter", prompt: "Datacenter" },
    { key: "placement", prompt: "Import into a cluster or a resource pool", choices: ["cluster", "resourcePool"], suggested: "cluster" },
    { key: "cluster", prompt: "Cluster", when: [{ key: "placement", in: ["cluster"] }] },
    { key: "resourcePool", prompt: "Resource pool path under the datacenter's host folder", when: [{ key: "placement", in: ["resourcePool"] }] },
    { key: "datastore", prompt: "Datastore (template and file-server VM)" },
    { key: "network", prompt: "Port group (network) of the template and the file-server VM" },
    { key: "templateFolder", prompt: "VM folder of the templates (created)" },
    { key: "ovaSource", prompt: "OS+K8s OVA: absolute path on this machine, or https:// URL of your internal mirror" },
    { key: "ovaSha256", prompt: "sha256 of the OVA (empty: not pinned)" },
    { key: "ovaCaFile", prompt: "CA certificate of the OVA mirror, absolute path (empty: the system's trusted CAs)", when: (answers) => /^https:\/\//i.test(String(answers.ovaSource ?? "")) },
    { key: "ovaSourceUsername", prompt: "User of the OVA mirror, if it asks for one (empty: none; a bearer token is set as the secret ovaSourceToken)", when: (answers) => /^https:\/\//i.test(String(answers.ovaSource ?? "")) },
    { key: "registryKind", prompt: "Registry kind", choices: ["harbor", "ecr", "generic"], suggested: "harbor" },
    { key: "registryEndpoint", prompt: "Registry host[:port]", when: [OCI] },
    { key: "registryUsername", prompt: "Registry user (Harbor: one allowed to create projects)", when: [OCI] },
    { key: "registryCaFile", prompt: "Registry CA certificate, absolute path (Palette asks for it too; empty: publicly trusted)", when: [OCI] },
    // A second registry for the images, as the procedure allows (asked once these keys exist in CONFIG_KEYS).
    { key: "imageRegistryEndpoint", prompt: "Images registry host[:port], if the images go to another registry than the packs (empty: the same registry)", when: [OCI] },
    { key: "imageRegistryKind", prompt: "Kind of the images registry: harbor or generic (empty: the packs registry's kind)", when: [OCI, { key: "imageRegistryEndpoint", set: true }] },
    { key: "imageRegistryUsername", prompt: "Images registry user (empty: the packs registry's user and password)", when: [OCI, { key: "imageRegistryEndpoint", set: true }] },
    { key: "imageRegistryCaFile", prompt: "Images registry CA certificate, absolute path (empty: the packs registry's CA)", when: [OCI, { key: "imageRegistryEndpoint", set: true }] },
    { key: "ecrRegion", prompt: "AWS region of the private ECR registry (packs)", when: [{ key: "registryKind", in: ["ecr"] }] },
    { key: "ecrPublicImages", prompt: "Images in ECR Public (us-east-1)? true or false", when: [{ key: "registryKind", in: ["ecr"] }] },
    { key: "ecrImageRegion", prompt: "AWS region of the private ECR registry holding the images (empty: the packs' region)", when: [{ key: "registryKind", in: ["ecr"] }, { key: "ecrPublicImages", in: ["false"] }] },
    { key: "setupBinary", prompt: "Airgap setup binary (airgap-v<version>.bin), absolute path" },
    { key: "setupBinarySha256", prompt: "sha256 of the setup binary from Spectro Cloud support (empty: not pinned)" },
    { key: "packBinaries", prompt: "Pack binaries (airgap-pack-*.bin), absolute paths separated by spaces or commas (empty: none)" },
    { key: "fileServerMode", prompt: "Manifest file server: a VM (vm) or a container on a Docker host (docker)", choices: ["vm", "docker"] },
    { key: "fileServerTemplate", prompt: "VM template to clone for the file server (Ubuntu with cloud-init)", when: [VM] },
    { key: "fileServerIp", prompt: "File server's static address in CIDR form (empty: DHCP)", when: [VM] },
    { key: "fileServerGateway", prompt: "Default gateway", when: [VM, { key: "fileServerIp", set: true }] },
    { key: "fileServerDns", prompt: "DNS servers, separated by spaces or commas", when: [VM, { key: "fileServerIp", set: true }] },
    { key: "fileServerSshPublicKey", prompt: "SSH public key to authorise on the VM, e.g. the contents of ~/.ssh/id_ed25519.pub (empty: one the template already authorises, through your SSH agent)", when: [VM] },
    { key: "fileServerDockerHost", prompt: "Docker host (unix:// or ssh://)", when: [DOCKER] },
    { key: "fileServerImage", prompt: "Web server image in your registry", when: [DOCKER] },
    { key: "lifecycle", prompt: "production (destroy keeps the template and registry content) or lab (destroy removes everything)", choices: ["production", "lab"] },
];

/** The questions whose key this version declares (`placement` is the generator's own). */
export const QUESTIONS: readonly Question[] = ALL_QUESTIONS.filter((question) => question.key === "placement" || CONFIG_KEYS.some((spec) => spec.key === question.key));

/** Keys the generator asks for (the others keep their defaults; set them later with pulumi config set). */
export const ASKED_KEYS = QUESTIONS.map((question) => question.key).filter((key) => key !== "placement");

const isSet = (value: unknown) => value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0);

/** The value a condition sees: the answer, else the key's default. */
function valueOf(answers: Answers, key: string): unknown {
    if (key in answers) return answers[key];
    return key === "placement" ? undefined : configKey(key).default;
}

export function conditionHolds(answers: Answers, condition: ConfigCondition): boolean {
    const value = valueOf(answers, condition.key);
    return condition.in ? condition.in.includes(String(value)) : isSet(value) === (condition.set ?? true);
}

export function isAsked(question: Question, answers: Answers): boolean {
    if (!question.when) return true;
    return typeof question.when === "function" ? question.when(answers) : question.when.every((condition) => conditionHolds(answers, condition));
}

/** The answer an empty reply stands for. */
export function suggestedAnswer(question: Question): string {
    if (question.suggested !== undefined) return question.suggested;
    if (question.key === "placement") return "";
    const fallback = configKey(question.key).default;
    return fallback === undefined || Array.isArray(fallback) ? "" : String(fallback);
}

/** A reply as the answer stored: lists split on spaces and commas; empty means the suggested answer. */
export function parseReply(question: Question, reply: string): string | string[] {
    const text = reply.trim() === "" ? suggestedAnswer(question) : reply.trim();
    if (question.key !== "placement" && configKey(question.key).type === "array") {
        return text.split(/[\s,]+/).filter(Boolean);
    }
    return text;
}

/**
 * The secret keys this stack needs: required ones and those whose requiredWhen holds, by the
 * table, and any other secret loadConfig() reports missing for these answers.
 */
export function neededSecrets(answers: Answers): string[] {
    const needed = new Set(
        CONFIG_KEYS.filter((spec) => spec.secret && (spec.default === undefined || (spec.requiredWhen !== undefined && spec.requiredWhen.every((condition) => conditionHolds(answers, condition)))))
            .map((spec) => spec.key),
    );
    const secretKeys = new Set(CONFIG_KEYS.filter((spec) => spec.secret).map((spec) => spec.key));
    for (const problem of configProblems(stackValues(answers), placeholders([...needed]))) {
        if (secretKeys.has(problem.key)) needed.add(problem.key);
    }
    return CONFIG_KEYS.filter((spec) => needed.has(spec.key)).map((spec) => spec.key);
}

const PLACEHOLDER = "placeholder-until-pulumi-config-set--secret";
const placeholders = (keys: string[]) => Object.fromEntries(keys.map((key) => [key, PLACEHOLDER]));

/** The stack's config as loadConfig() reads it: the answers (placement removed), empty ones left out. */
export function stackValues(answers: Answers): Record<string, string | string[]> {
    const values: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(answers)) {
        if (key !== "placement" && isSet(value)) values[key] = value;
    }
    return values;
}

/** Every problem loadConfig() finds in these answers, the needed secrets counted as set. */
export function answerProblems(answers: Answers): KeyProblem[] {
    return configProblems(stackValues(answers), placeholders(neededSecrets(answers)));
}

/**
 * Problems of one answer: loadConfig()'s problems about `key` with the answers given so far.
 * Keys not asked yet are absent, so only what this answer decides is reported.
 */
export function problemsOfAnswer(answers: Answers, key: string): KeyProblem[] {
    if (key === "placement") return [];
    return answerProblems(answers).filter((problem) => problem.key === key);
}

/** The stack file: the answers that differ from the defaults, in CONFIG_KEYS order, with a header. */
export function stackFile(name: string, answers: Answers): string {
    const values = stackValues(answers);
    const config: Record<string, unknown> = {};
    for (const spec of CONFIG_KEYS) {
        const value = values[spec.key];
        if (value === undefined || spec.secret) continue;
        const typed = spec.type === "boolean" ? value === "true" : spec.type === "integer" ? Number(value) : value;
        if (JSON.stringify(typed) !== JSON.stringify(spec.default)) config[`${PROJECT_NAME}:${spec.key}`] = typed;
    }
    const header = [
        `# Stack ${name}, written by \`npm run new-stack\`. Every key is described in README "Configuration reference".`,
        `# Secrets are not in this file; set them (README "Secrets"):`,
        ...secretCommands(name, answers).map((line) => `#   ${line}`),
    ];
    return `${header.join("\n")}\n${YAML.stringify({ config })}`;
}

/** One `pulumi config set --secret` line per needed secret; the value is prompted for (or read from a file), never typed on the line. */
export function secretCommands(name: string, answers: Answers): string[] {
    return neededSecrets(answers).map((key) =>
        key === "fileServerSshPrivateKey"
            ? `pulumi config set --stack ${name} --secret ${key} < <the private key file of fileServerSshPublicKey>`
            : `pulumi config set --stack ${name} --secret ${key}`,
    );
}

/** What to run after the file is written, in order. */
export function nextSteps(name: string, answers: Answers, file: string): string[] {
    const optional: string[] = [];
    if (/^https:\/\//i.test(String(answers.ovaSource ?? "")) && !isSet(answers.ovaSourceUsername)) {
        optional.push(`# optional, if the OVA mirror takes a bearer token: pulumi config set --stack ${name} --secret ovaSourceToken`);
    }
    if (answers.fileServerMode === "docker" && String(answers.fileServerDockerHost ?? "").startsWith("ssh://")) {
        optional.push(`# optional, without an SSH agent for the ssh:// Docker host: pulumi config set --stack ${name} --secret fileServerSshPrivateKey < <private key file>`);
    }
    return [
        `# ${file} is written. With your state backend and passphrase set (README "Quick start"):`,
        `pulumi stack select --create ${name}`,
        ...secretCommands(name, answers),
        ...optional,
        `pulumi preview --stack ${name}`,
        `./scripts/up.sh ${name}`,
    ];
}

/** A stack name Pulumi and the file system both accept. */
export function stackNameProblem(name: string): string | undefined {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
        return `"${name}" is not a stack name: letters, digits, - _ . (at most 100), starting with a letter or digit, e.g. vsphere-prod`;
    }
    return undefined;
}

/** How a question is shown: the prompt, the choices, the default, an example. */
export function promptText(question: Question): string {
    const suggested = suggestedAnswer(question);
    const spec = question.key === "placement" ? undefined : configKey(question.key);
    const example = spec?.type === "array" ? (JSON.parse(spec.example) as string[]).join(" ") : (spec?.example ?? "");
    const hints = [
        question.choices ? question.choices.join("/") : "",
        suggested !== "" ? `default ${suggested}` : !question.choices && example && !example.startsWith("pulumi ") ? `e.g. ${example}` : "",
    ].filter(Boolean);
    return `${question.prompt}${hints.length ? ` [${hints.join(", ")}]` : ""}: `;
}
