/**
 * The building blocks of the package schema: one typed description per property. A resource's
 * or component's properties are written as `PropertiesOf<Args>`, a mapped type over the very
 * interface the TypeScript code takes, so that `tsc` fails when the two disagree: a field the
 * Args has and the schema lacks, a field the schema invents, or a required field described as
 * optional (and the reverse).
 */

interface SpecCommon {
    /** What it is, its default and where it comes from (the stack config key when there is one). */
    description: string;
    secret?: boolean;
    /** The default applied when it is not given (primitive values only, as the schema allows). */
    default?: string | number | boolean;
}

/** A primitive, a list, a map, or a reference to a type of the package (`#/types/...`) or to `pulumi.json#/Any`. */
export type PropertySpec = SpecCommon &
    (
        | { type: "string" | "boolean" | "integer" | "number" }
        | { type: "array"; items: { type: "string" | "integer" } | { $ref: string } }
        | { type: "object"; additionalProperties: { type: "string" } }
        | { $ref: string }
    );

/** A property the Args require. */
export type RequiredSpec = PropertySpec & { required: true };
/** A property the Args leave optional. */
export type OptionalSpec = PropertySpec & { required?: false };

/** The values behind a component's outputs (`pulumi.Output<T>` → T). */
export type OutputValues<T> = { [K in keyof T]: T[K] extends { apply(...args: any[]): any; get(): infer U } ? U : T[K] };

/** One spec per property of T, required exactly when T requires it. */
export type PropertiesOf<T> = { [K in keyof T]-?: undefined extends T[K] ? OptionalSpec : RequiredSpec };

/** A reference to a type of this package. */
export function typeRef(token: string): { $ref: string } {
    return { $ref: `#/types/${token}` };
}

/** Pulumi's "any value" type. */
export const ANY = { $ref: "pulumi.json#/Any" } as const;

/** An enum of string values, each described. */
export interface EnumSpec {
    description: string;
    values: Record<string, string>;
}

/** A resource (custom) or component: its inputs and outputs, as the package schema lists them. */
export interface ResourceSpec {
    token: string;
    description: string;
    isComponent: boolean;
    inputs: Record<string, PropertySpec & { required?: boolean }>;
    /** Outputs besides the inputs (a custom resource's state holds both; a component has only these). */
    outputs: Record<string, PropertySpec & { required?: boolean }>;
}
