/**
 * Values as the engine's resource-provider protocol carries them in a protobuf Struct (after
 * `Struct.toJavaScript`): a secret is an object with the SDK's signature key, an output value
 * (sent when the provider accepts outputs) another, and a value not known during a preview the
 * unknown marker. Our resource implementations see plain values; the plugin wraps the secret
 * properties again on the way out.
 */
import { UNKNOWN_VALUE } from "../components/resourceProvider";

export const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";
export const OUTPUT_SIGNATURE = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

type Plain = Record<string, unknown>;

function signatureOf(value: unknown): unknown {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Plain)[SIGNATURE_KEY] : undefined;
}

/** The value without any secret or output wrapper; `onSecret` is told when one was a secret. */
function reveal(value: unknown, onSecret: () => void): unknown {
    const signature = signatureOf(value);
    if (signature === SECRET_SIGNATURE) {
        onSecret();
        return reveal((value as Plain).value, onSecret);
    }
    if (signature === OUTPUT_SIGNATURE) {
        const output = value as Plain;
        if (output.secret === true) onSecret();
        return "value" in output ? reveal(output.value, onSecret) : UNKNOWN_VALUE;
    }
    if (Array.isArray(value)) {
        return value.map((item) => reveal(item, onSecret));
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item, onSecret)]));
    }
    return value;
}

/** The properties without wrappers, and the top-level properties that held a secret anywhere inside. */
export function revealProperties(properties: Plain | undefined): { values: Plain; secretKeys: Set<string> } {
    const values: Plain = {};
    const secretKeys = new Set<string>();
    for (const [key, value] of Object.entries(properties ?? {})) {
        values[key] = reveal(value, () => secretKeys.add(key));
    }
    return { values, secretKeys };
}

export function secretValue(value: unknown): Plain {
    return { [SIGNATURE_KEY]: SECRET_SIGNATURE, value };
}

/**
 * The properties as the protocol carries them: undefined dropped (a Struct cannot hold it: the
 * SDK's `Struct.fromJavaScript` throws), each key of `secretKeys` wrapped as a secret.
 */
export function concealProperties(values: object | undefined, secretKeys: Iterable<string>): Plain {
    const secrets = new Set(secretKeys);
    const out: Plain = {};
    for (const [key, value] of Object.entries(values ?? {})) {
        if (value === undefined) continue;
        const clean = withoutUndefined(value);
        out[key] = secrets.has(key) && clean !== null ? secretValue(clean) : clean;
    }
    return out;
}

function withoutUndefined(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map((item) => (item === undefined ? null : withoutUndefined(item)));
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined).map(([key, item]) => [key, withoutUndefined(item)]));
    }
    return value;
}
