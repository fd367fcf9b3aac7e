/**
 * The contract between the palette-airgap provider plugin (provider/) and the implementation of
 * one of its custom resources (the OVA template import, the Harbor project, the validation run).
 *
 * The plugin receives the engine's calls over gRPC, takes the protocol's secret wrappers off the
 * values, calls these methods with plain values, and marks the schema's secret properties as
 * secrets again in what it returns. So an implementation never sees a wrapper and never has to
 * remember which of its outputs are secret.
 */

/** One rejected input: the property and what to do about it. */
export interface CheckFailure {
    readonly property: string;
    readonly reason: string;
}

export interface CheckResult<I> {
    /** The inputs with defaults applied and values normalized. */
    readonly inputs: I;
    readonly failures?: CheckFailure[];
}

/** How one property changes, as the protocol's PropertyDiff.Kind (ADD, ADD_REPLACE, DELETE, ...). */
export type PropertyDiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface DiffResult {
    readonly changes: boolean;
    /** Properties whose change replaces the resource. */
    readonly replaces?: string[];
    /** Delete the old resource before creating its replacement. */
    readonly deleteBeforeReplace?: boolean;
    /**
     * Every changed or drifted property and how it changes (./propertyDiff): the plugin sends it
     * as the protocol's `diffs` and `detailedDiff`, which `pulumi preview` shows per property.
     */
    readonly detailedDiff?: Record<string, PropertyDiffKind>;
}

export interface CreateResult<O> {
    readonly id: string;
    readonly outs: O;
}

/** No id: the resource is gone (the engine drops it from the state). */
export interface ReadResult<O> {
    readonly id?: string;
    readonly props?: O;
}

export interface UpdateResult<O> {
    readonly outs: O;
}

/** The lifecycle of one custom resource type; `olds`/`props` are the outputs in the state. */
export interface ResourceProvider<I = any, O = any> {
    check(olds: Partial<I>, news: I): Promise<CheckResult<I>>;
    diff(id: string, olds: O, news: I): Promise<DiffResult>;
    create(inputs: I): Promise<CreateResult<O>>;
    read(id: string, props: O): Promise<ReadResult<O>>;
    update(id: string, olds: O, news: I): Promise<UpdateResult<O>>;
    delete(id: string, props: O): Promise<void>;
}

/** The value the engine sends for an input not known yet (during preview). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** False for the engine's unknown-value marker. */
export function isKnown(value: unknown): boolean {
    return value !== UNKNOWN_VALUE;
}
