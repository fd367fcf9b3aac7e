/**
 * Per-property diffs of a custom resource (the protocol's `diffs` and `detailedDiff`). Without
 * them the engine can only say that a resource changed: `pulumi preview --refresh` then shows a
 * drift that Read found (a template renamed by hand, a project made public) as "update" with no
 * property, and the user cannot tell what to look at. Every Diff of this package therefore names
 * each property it found changed, with the kind the engine shows (add, delete, update, and the
 * replacing variants).
 */
import type { DiffResult, PropertyDiffKind } from "./resourceProvider";

/** Nothing there: undefined, null or "" (the inputs treat an empty string as unset). */
function absent(value: unknown): boolean {
    return value === undefined || value === null || value === "";
}

/** add when only the desired side has a value, delete when only the old one has, update otherwise. */
export function propertyDiffKind(old: unknown, desired: unknown, replace: boolean): PropertyDiffKind {
    const base = absent(old) && !absent(desired) ? "add" : !absent(old) && absent(desired) ? "delete" : "update";
    return replace ? `${base}-replace` : base;
}

/**
 * Collects the changed properties of one Diff. A property named twice keeps the stronger kind
 * (a replacement wins over an update), so an input change and a drift of the same property
 * give one entry.
 */
export class PropertyDiffs {
    private readonly detail = new Map<string, PropertyDiffKind>();

    /** `key` changes in place (update). */
    update(key: string, old: unknown, desired: unknown): this {
        return this.add(key, propertyDiffKind(old, desired, false));
    }

    /** `key` changes and its change replaces the resource. */
    replace(key: string, old: unknown, desired: unknown): this {
        return this.add(key, propertyDiffKind(old, desired, true));
    }

    get size(): number {
        return this.detail.size;
    }

    /** The Diff's result: a change exactly when a property is named; `replaces` the properties of the replacing kinds. */
    result(deleteBeforeReplace = false): DiffResult {
        const detailedDiff = Object.fromEntries(this.detail);
        const replaces = [...this.detail].filter(([, kind]) => kind.endsWith("-replace")).map(([key]) => key);
        return { changes: this.detail.size > 0, replaces, deleteBeforeReplace: deleteBeforeReplace && replaces.length > 0, detailedDiff };
    }

    private add(key: string, kind: PropertyDiffKind): this {
        const known = this.detail.get(key);
        if (!known || (!known.endsWith("-replace") && kind.endsWith("-replace"))) {
            this.detail.set(key, kind);
        }
        return this;
    }
}
