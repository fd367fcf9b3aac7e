/**
 * `npm run new-stack -- <name> [--<configKey> <value>]... [--non-interactive] [--force] [--dir <dir>]`
 *
 * Writes stacks/Pulumi.<name>.yaml from a few questions (README "Quick start"), each answer
 * checked by loadConfig() as it is given; a wrong answer is asked again with loadConfig()'s
 * message. Flags named after config keys answer questions ahead (and may set any other key);
 * without a terminal, or with --non-interactive, nothing is asked and every problem is listed at
 * once. Secrets are never asked: it prints the `pulumi config set --secret` lines to run.
 */
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline/promises";
import { CONFIG_KEYS } from "../components/configKeys";
import {
    Answers, QUESTIONS, Question, answerProblems, isAsked, nextSteps, parseReply, problemsOfAnswer, promptText, stackFile, stackNameProblem,
} from "./stackGenerator";

const USAGE = `usage: npm run new-stack -- <name> [--<configKey> <value>]... [--non-interactive] [--force] [--dir <stacks dir>]
  Asks for what a stack of this project needs and writes <stacks dir>/Pulumi.<name>.yaml.
  --<configKey> <value>  answer ahead (any key of README "Configuration reference"; lists: space or comma separated)
  --non-interactive      ask nothing: flags and defaults only, every problem listed at once (also without a terminal)
  --force                overwrite an existing stack file
  --dir <dir>            where to write (default: the project's stacks/)`;

/** A problem with the command line (usage is shown) or with the answers (it is not). */
class UsageError extends Error {
    constructor(message: string, readonly showUsage = true) {
        super(message);
    }
}

interface Options {
    name: string;
    flags: Record<string, string>;
    interactive: boolean;
    force: boolean;
    dir: string;
}

function parseArguments(argv: string[]): Options {
    const flags: Record<string, string> = {};
    const positional: string[] = [];
    let force = false;
    let nonInteractive = false;
    let dir = path.resolve(__dirname, "..", "stacks");
    for (let index = 0; index < argv.length; index++) {
        const argument = argv[index];
        if (argument === "--help" || argument === "-h") throw new UsageError("");
        if (argument === "--force") { force = true; continue; }
        if (argument === "--non-interactive") { nonInteractive = true; continue; }
        if (!argument.startsWith("--")) { positional.push(argument); continue; }
        const [flag, inline] = argument.slice(2).split(/=(.*)/s, 2);
        const value = inline ?? argv[++index];
        if (value === undefined) throw new UsageError(`--${flag} needs a value`);
        if (flag === "dir") { dir = path.resolve(value); continue; }
        const spec = CONFIG_KEYS.find((candidate) => candidate.key === flag);
        if (!spec) throw new UsageError(`--${flag} is neither an option nor a config key of README "Configuration reference"`);
        if (spec.secret) {
            throw new UsageError(`--${flag}: secrets are not taken here (they would stay in your shell history and in ps); set it afterwards with pulumi config set --secret ${flag}`);
        }
        flags[flag] = value;
    }
    if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "give the stack's name" : `one stack name, not ${positional.length}: ${positional.join(" ")}`);
    const nameProblem = stackNameProblem(positional[0]);
    if (nameProblem) throw new UsageError(nameProblem);
    const interactive = !nonInteractive && Boolean(process.stdin.isTTY && process.stdout.isTTY);
    return { name: positional[0], flags, interactive, force, dir };
}

/** Reads replies one line at a time; undefined at the end of input (Ctrl-D). */
class Terminal {
    private readonly rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    private readonly closed = new Promise<undefined>((resolve) => this.rl.once("close", () => resolve(undefined)));

    ask(text: string): Promise<string | undefined> {
        return Promise.race([this.rl.question(text), this.closed]);
    }

    close(): void {
        this.rl.close();
    }
}

async function askUntilValid(terminal: Terminal, question: Question, answers: Answers): Promise<void> {
    for (;;) {
        const reply = await terminal.ask(promptText(question));
        if (reply === undefined) throw new UsageError("input ended; nothing was written", false);
        const answer = parseReply(question, reply);
        // Choices of config keys are checked by loadConfig() below; `placement` is the generator's own.
        const choices = question.key === "placement" ? (question.choices ?? []) : [];
        if (choices.length > 0 && !choices.includes(String(answer))) {
            console.log(`  ✗ ${question.key}: "${answer}" is not one of ${choices.join(", ")}`);
            continue;
        }
        answers[question.key] = answer;
        const problems = problemsOfAnswer(answers, question.key);
        if (problems.length === 0) return;
        for (const problem of problems) console.log(`  ✗ ${problem.key}: ${problem.message}`);
        delete answers[question.key];
    }
}

/** Walks the questions; in interactive mode asks, otherwise takes flags and defaults. */
async function collect(options: Options, terminal: Terminal | undefined): Promise<Answers> {
    const askedKeys = new Set(QUESTIONS.map((question) => question.key));
    const answers: Answers = {};
    // Keys no question asks (fileServerPort, vsphereAllowUnverifiedSsl, ...) are taken as given.
    for (const [key, value] of Object.entries(options.flags)) {
        if (!askedKeys.has(key)) answers[key] = parseReply({ key, prompt: key }, value);
    }
    if (options.flags.resourcePool !== undefined) answers.placement = "resourcePool";
    else if (options.flags.cluster !== undefined) answers.placement = "cluster";
    for (const question of QUESTIONS) {
        if (!isAsked(question, answers) || (question.key === "placement" && answers.placement !== undefined)) continue;
        const flag = options.flags[question.key];
        if (flag !== undefined || !terminal) {
            answers[question.key] = parseReply(question, flag ?? "");
            const problems = terminal ? problemsOfAnswer(answers, question.key) : [];
            if (problems.length === 0) continue;
            for (const problem of problems) console.log(`  ✗ --${problem.key}: ${problem.message}`);
            delete answers[question.key];
        }
        await askUntilValid(terminal!, question, answers);
    }
    // Problems only the whole stack shows (a key asked earlier that a later answer contradicts).
    for (let problems = answerProblems(answers); problems.length > 0; problems = answerProblems(answers)) {
        const question = terminal && QUESTIONS.find((candidate) => candidate.key === problems[0].key && isAsked(candidate, answers));
        if (!question) {
            const list = problems.map((problem) => `  - --${problem.key}: ${problem.message}`).join("\n");
            throw new UsageError(`nothing was written; fix these (as --<key> <value>):\n${list}`, false);
        }
        console.log(`  ✗ ${problems[0].key}: ${problems[0].message}`);
        await askUntilValid(terminal!, question, answers);
    }
    return answers;
}

async function main(): Promise<number> {
    let terminal: Terminal | undefined;
    try {
        const options = parseArguments(process.argv.slice(2));
        const file = path.join(options.dir, `Pulumi.${options.name}.yaml`);
        const relative = path.relative(process.cwd(), file);
        const shown = relative.startsWith("..") ? file : relative;
        if (fs.existsSync(file) && !options.force) {
            throw new UsageError(`${shown} exists; choose another name, or --force to overwrite it`, false);
        }
        if (options.interactive) {
            terminal = new Terminal();
            console.log(`New stack ${options.name}: press Enter to take the default shown in [ ]. Secrets are not asked; the commands to set them follow.`);
        }
        const answers = await collect(options, terminal);
        terminal?.close();
        fs.mkdirSync(options.dir, { recursive: true });
        fs.writeFileSync(file, stackFile(options.name, answers), { flag: options.force ? "w" : "wx" });
        console.log(`\n${nextSteps(options.name, answers, shown).join("\n")}`);
        return 0;
    } catch (error) {
        terminal?.close();
        if (error instanceof UsageError) {
            if (!error.message) {
                console.log(USAGE); // --help
                return 0;
            }
            console.error(`new-stack: ${error.message}${error.showUsage ? `\n${USAGE}` : ""}`);
            return 2;
        }
        throw error;
    }
}

main().then((code) => process.exit(code));
