/** README's configuration reference table, generated from CONFIG_KEYS (scripts/print-config-table.ts prints it). */
import { CONFIG_KEYS, ConfigKeySpec, describeConditions } from "../components/configKeys";

const cell = (text: string) => text.replace(/\|/g, "\\|");

function shownDefault(spec: ConfigKeySpec): string {
    if (spec.default === undefined) return "**required**";
    const value = spec.default === "" || (Array.isArray(spec.default) && spec.default.length === 0) ? "(unset)" : `\`${JSON.stringify(spec.default)}\``;
    return spec.requiredWhen ? `${value}; **required** when ${describeConditions(spec.requiredWhen)}` : value;
}

export function configTableMarkdown(): string {
    const lines = ["| key | type | default | description | example |", "|---|---|---|---|---|"];
    for (const spec of CONFIG_KEYS) {
        const type = spec.secret ? `${spec.type}, secret` : spec.type;
        lines.push(`| \`${spec.key}\` | ${type} | ${cell(shownDefault(spec))} | ${cell(spec.description)} | \`${cell(spec.example)}\` |`);
    }
    return lines.join("\n") + "\n";
}
