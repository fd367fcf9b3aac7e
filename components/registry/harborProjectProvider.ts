/**
 * The custom resource behind HarborProject (`palette-airgap:registry:HarborProject`), served by
 * the provider plugin (provider/): one Harbor project (create, read for drift, update of the
 * public flag, guarded delete) over Harbor's API v2.0 (./harborApi). The credentials come with
 * each call, in the resource's inputs/outputs (the password a secret of the protocol, marked by
 * the plugin from the package schema).
 *
 * State (the outputs every method receives back as `olds`/`props`) holds the connection settings
 * as well as the observed project, because `delete` and `read` only get the state.
 */
import { absolutePathProblem } from "../configRules";
import { PropertyDiffs } from "../propertyDiff";
import { UNKNOWN_VALUE, type CheckFailure, type CheckResult, type CreateResult, type DiffResult, type ReadResult, type ResourceProvider, type UpdateResult } from "../resourceProvider";
import { HarborClient, isHarborStatus, normalizeHarborEndpoint, type HarborProjectInfo } from "./harborApi";

/** Inputs as the provider receives them (secrets unwrapped by the engine). */
export interface HarborProjectInputs {
    /** Harbor host[:port] (https://host[:port] accepted and normalized; http:// refused). */
    endpoint: string;
    username: string;
    /** Secret. */
    password: string;
    /** Absolute path of the PEM CA certificate of Harbor's certificate. Default: the system trust store. */
    caFile?: string;
    /** Skip TLS verification. Default false. */
    insecure?: boolean;
    /** Harbor project name. */
    projectName: string;
    /** Whether the project is public. */
    public: boolean;
    /** Delete the project on destroy/replace even when it still holds repositories. Default false. */
    allowDeleteNonEmpty?: boolean;
}

/** What the state holds: the inputs (defaults applied) plus what was observed in Harbor. */
export interface HarborProjectOutputs {
    endpoint: string;
    username: string;
    password: string;
    caFile?: string;
    insecure: boolean;
    /** The project's name in Harbor. */
    projectName: string;
    /** The project's observed public flag (after create/update: the desired one; after read: Harbor's). */
    public: boolean;
    allowDeleteNonEmpty: boolean;
    /** Harbor's numeric project id (also the resource id, as a string). */
    projectId: number;
    /** Number of repositories in the project when last seen. */
    repoCount: number;
    /** True when create found the project already there and took it over instead of creating it. */
    adopted: boolean;
}

/** Harbor's project name rule (src/common/utils: lowercase, digits, separators . _ - inside), max 255. */
const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Stack setting (config key) that lets delete remove a non-empty project. */
const ALLOW_DELETE_NON_EMPTY_KEY = "registryAllowDeleteNonEmpty";

/** Exported for the plugin and tests; HarborProject is the way to use it. */
export const harborProjectProvider: ResourceProvider<HarborProjectInputs, HarborProjectOutputs> = {
    /** Validates the inputs (every problem at once) and applies defaults; normalizes the endpoint. */
    async check(_olds: Partial<HarborProjectInputs>, news: HarborProjectInputs): Promise<CheckResult<HarborProjectInputs>> {
        const failures: CheckFailure[] = [];
        const known = (value: unknown) => value !== UNKNOWN_VALUE;
        const inputs: HarborProjectInputs = { ...news };

        if (known(news.endpoint)) {
            if (typeof news.endpoint !== "string") {
                failures.push({ property: "endpoint", reason: "endpoint must be a string: Harbor's host[:port]" });
            } else {
                try {
                    inputs.endpoint = normalizeHarborEndpoint(news.endpoint);
                } catch (error) {
                    failures.push({ property: "endpoint", reason: (error as Error).message });
                }
            }
        }
        if (known(news.username) && (typeof news.username !== "string" || news.username === "")) {
            failures.push({ property: "username", reason: "username is required: a Harbor user allowed to create projects (registryUsername)" });
        }
        // Never echo the password's value.
        if (known(news.password) && (typeof news.password !== "string" || news.password === "")) {
            failures.push({ property: "password", reason: "password is required (registryPassword, set with `pulumi config set --secret`)" });
        }
        if (news.caFile !== undefined && news.caFile !== "" && known(news.caFile)) {
            const problem = typeof news.caFile === "string" ? absolutePathProblem(news.caFile, "/etc/palette-airgap/harbor-ca.pem") : "must be a string";
            if (problem) {
                failures.push({ property: "caFile", reason: `caFile (the PEM CA certificate of Harbor, config registryCaFile): ${problem}` });
            }
        }
        if (news.caFile === "") {
            delete inputs.caFile;
        }
        for (const key of ["insecure", "allowDeleteNonEmpty"] as const) {
            if (news[key] === undefined || news[key] === null) {
                inputs[key] = false;
            } else if (known(news[key]) && typeof news[key] !== "boolean") {
                failures.push({ property: key, reason: `${key} must be a boolean, got ${JSON.stringify(news[key])}` });
            }
        }
        if (known(news.projectName)) {
            if (typeof news.projectName !== "string" || news.projectName.length > 255 || !PROJECT_NAME.test(news.projectName)) {
                failures.push({
                    property: "projectName",
                    reason:
                        `projectName ${JSON.stringify(news.projectName)} is not a valid Harbor project name: lowercase letters and digits, ` +
                        `optionally separated by single '.', '_' or '-', at most 255 characters (e.g. spectro-packs)`,
                });
            }
        }
        if (known(news.public) && typeof news.public !== "boolean") {
            failures.push({ property: "public", reason: `public must be a boolean, got ${JSON.stringify(news.public)}` });
        }
        return failures.length > 0 ? { inputs, failures } : { inputs };
    },

    /**
     * Another project name or another Harbor → replacement (delete first: see below). A desired
     * public flag other than the observed one in state (read() records Harbor's) → update.
     * Changed credentials, CA file, insecure or allowDeleteNonEmpty alone → an update that only
     * rewrites the state. Each is named in the detailed diff with its kind.
     */
    async diff(_id: string, olds: HarborProjectOutputs, news: HarborProjectInputs): Promise<DiffResult> {
        const diffs = new PropertyDiffs();
        for (const key of ["projectName", "endpoint"] as const) {
            if (news[key] !== olds[key]) diffs.replace(key, olds[key], news[key]);
        }
        for (const key of ["public", "username", "password", "caFile", "insecure", "allowDeleteNonEmpty"] as const) {
            const old = olds[key] ?? defaultOf(key);
            const desired = news[key] ?? defaultOf(key);
            if (desired !== old) diffs.update(key, old, desired);
        }
        // Delete before create: a "new" endpoint may be another name of the same Harbor, and
        // create adopts an existing project of the same name; with create-before-delete the
        // delete of the old resource would then remove the project just adopted. Deleting
        // first keeps the non-empty guard between the user and any data loss.
        return diffs.result(true);
    },

    /**
     * Creates the project. An existing project of the same name is ADOPTED (outputs.adopted = true)
     * and its public flag set to the desired value, rather than failing, because create must be
     * idempotent: if a run dies after Harbor created the project but before Pulumi saved the
     * state, the next `pulumi up` would otherwise fail with 409 forever; and operators who
     * followed the manual air-gap procedure already have spectro-packs/spectro-images. The stack
     * config is the source of truth for the flag, so a conflicting flag is converged (an update),
     * not an error. Destroy still refuses to delete an adopted project that holds repositories.
     */
    async create(inputs: HarborProjectInputs): Promise<CreateResult<HarborProjectOutputs>> {
        const client = new HarborClient(inputs);
        try {
            let adopted = false;
            let project = await client.getProject(inputs.projectName);
            if (project) {
                adopted = true;
            } else {
                let createdId: number | undefined;
                try {
                    createdId = await client.createProject(inputs.projectName, inputs.public);
                } catch (error) {
                    // Created by someone else between our lookup and our POST: adopt it.
                    if (!isHarborStatus(error, 409)) {
                        throw error;
                    }
                    adopted = true;
                }
                project = await client.getProject(createdId ?? inputs.projectName, inputs.projectName);
                if (!project) {
                    throw new Error(`Harbor at ${client.baseUrl} accepted project "${inputs.projectName}" but does not return it`);
                }
            }
            if (project.public !== inputs.public) {
                await client.setProjectPublic(project.id, inputs.public);
                project = { ...project, public: inputs.public };
            }
            const repoCount = (await client.countRepositories(project.id)) ?? 0;
            return { id: String(project.id), outs: outputsOf(inputs, project, repoCount, adopted) };
        } finally {
            await client.close();
        }
    },

    /**
     * Reads the project by its id. Gone → no id (Pulumi shows the resource as deleted). Otherwise
     * the state gets Harbor's actual public flag and repository count, so that a flag changed
     * behind Pulumi's back shows up as a diff against the desired value (the inputs are kept).
     */
    async read(id: string, props: HarborProjectOutputs): Promise<ReadResult<HarborProjectOutputs>> {
        if (!props || !props.endpoint || !props.username || !props.password) {
            throw new Error(
                `cannot read Harbor project id ${id}: the state holds no endpoint/username/password ` +
                    `(import a HarborProject by declaring it in the program instead of reading it by id)`,
            );
        }
        const client = new HarborClient(props);
        try {
            const project = await client.getProject(projectIdOf(id));
            if (!project) {
                return {};
            }
            const repoCount = (await client.countRepositories(project.id)) ?? project.repoCount ?? 0;
            return { id: String(project.id), props: outputsOf(props, project, repoCount, props.adopted === true) };
        } finally {
            await client.close();
        }
    },

    /**
     * Sets the public flag when the desired value differs from the one in state. Credential,
     * CA file, insecure and allowDeleteNonEmpty changes only rewrite the state: no Harbor call.
     */
    async update(id: string, olds: HarborProjectOutputs, news: HarborProjectInputs): Promise<UpdateResult<HarborProjectOutputs>> {
        const observed: HarborProjectInfo = { id: olds.projectId ?? projectIdOf(id), name: olds.projectName, public: olds.public };
        let repoCount = olds.repoCount ?? 0;
        if (news.public !== olds.public) {
            const client = new HarborClient(news);
            try {
                try {
                    await client.setProjectPublic(observed.id, news.public);
                } catch (error) {
                    if (isHarborStatus(error, 404)) {
                        throw new Error(
                            `Harbor project "${olds.projectName}" (id ${observed.id}) no longer exists at ${client.baseUrl}: ` +
                                `run \`pulumi refresh\` (it then shows as deleted) and \`pulumi up\` to create it again`,
                        );
                    }
                    throw error;
                }
                observed.public = news.public;
                repoCount = (await client.countRepositories(observed.id)) ?? repoCount;
            } finally {
                await client.close();
            }
        }
        return { outs: outputsOf(news, observed, repoCount, olds.adopted === true) };
    },

    /**
     * Deletes the project. Refuses while it holds repositories unless allowDeleteNonEmpty is true
     * (in the state: set registryAllowDeleteNonEmpty, run `pulumi up`, then destroy); with it,
     * deletes the repositories first (Harbor answers 412 for a non-empty project). Already gone
     * counts as deleted.
     */
    async delete(id: string, props: HarborProjectOutputs): Promise<void> {
        const client = new HarborClient(props);
        try {
            const project = await client.getProject(projectIdOf(id));
            if (!project) {
                return;
            }
            const repoCount = await client.countRepositories(project.id);
            if (repoCount === undefined) {
                return;
            }
            if (repoCount > 0) {
                if (props.allowDeleteNonEmpty !== true) {
                    throw new Error(
                        `refusing to delete Harbor project "${project.name}" (id ${project.id}) at ${client.baseUrl}: it still holds ` +
                            `${repoCount} ${repoCount === 1 ? "repository" : "repositories"}, which would be lost. Empty it in Harbor first, ` +
                            `or set the stack setting ${ALLOW_DELETE_NON_EMPTY_KEY} to true ` +
                            `(pulumi config set ${ALLOW_DELETE_NON_EMPTY_KEY} true), run \`pulumi up\` so that the state has it, and delete again.`,
                    );
                }
                for (const repository of await client.listRepositories(project.name)) {
                    await client.deleteRepository(project.name, repository);
                }
            }
            try {
                await client.deleteProject(project.id);
            } catch (error) {
                if (isHarborStatus(error, 412)) {
                    throw new Error(`Harbor refused to delete project "${project.name}" (id ${project.id}): ${(error as Error).message}`);
                }
                throw error;
            }
        } finally {
            await client.close();
        }
    },
};

function defaultOf(key: string): unknown {
    return key === "insecure" || key === "allowDeleteNonEmpty" ? false : undefined;
}

function projectIdOf(id: string): number {
    const n = Number(id);
    if (!Number.isInteger(n) || n <= 0) {
        throw new Error(`"${id}" is not a Harbor project id (a positive integer)`);
    }
    return n;
}

/**
 * The state: the connection settings and desired settings of `inputs`, and what Harbor says.
 * No undefined values: the engine's wire format (protobuf Struct) cannot carry them.
 */
function outputsOf(inputs: HarborProjectInputs | HarborProjectOutputs, project: HarborProjectInfo, repoCount: number, adopted: boolean): HarborProjectOutputs {
    const outs: HarborProjectOutputs = {
        endpoint: normalizeHarborEndpoint(inputs.endpoint),
        username: inputs.username,
        password: inputs.password,
        insecure: inputs.insecure === true,
        projectName: project.name,
        public: project.public,
        allowDeleteNonEmpty: inputs.allowDeleteNonEmpty === true,
        projectId: project.id,
        repoCount,
        adopted,
    };
    if (typeof inputs.caFile === "string" && inputs.caFile !== "") {
        outs.caFile = inputs.caFile;
    }
    return outs;
}
