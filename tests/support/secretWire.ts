/**
 * Secrets as the Pulumi engine receives them: a serialized secret is an object carrying the
 * SDK's signature key. These helpers read the wire form the mock tests capture.
 */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Walks `value`, replacing each secret by `onSecret(inner value)`. */
function mapSecrets(value: unknown, onSecret: (inner: unknown) => unknown): unknown {
    if (isSecretValue(value)) {
        return onSecret(value.value);
    }
    if (Array.isArray(value)) {
        return value.map((item) => mapSecrets(item, onSecret));
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapSecrets(item, onSecret)]));
    }
    return value;
}

/** The value with every secret wrapper removed (what the provider sees). */
export function unwrapSecrets(value: unknown): unknown {
    return mapSecrets(value, unwrapSecrets);
}

/** The value with every secret replaced by "[secret]": what plain state would hold. */
export function withoutSecrets(value: unknown): unknown {
    return mapSecrets(value, () => "[secret]");
}

/** Dotted paths of the secrets in `value`, e.g. `environment.PASSWORD`. */
export function secretPaths(value: unknown, prefix = ""): string[] {
    if (isSecretValue(value)) {
        return [prefix];
    }
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([key, item]) => secretPaths(item, prefix ? `${prefix}.${key}` : key));
    }
    return [];
}

/** `value` as a secret on the wire (what the engine sends for a secret input). */
export function wireSecret(value: unknown): { [SECRET_SIG_KEY]: string; value: unknown } {
    return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}
