/** Prints README's config reference table from CONFIG_KEYS: `npx ts-node --transpile-only scripts/print-config-table.ts`. */
import { CONFIG_KEYS } from "../components/configKeys";

const cell = (text: string) => text.replace(/\|/g, "\\|");
const shown = (value: unknown) => (value === undefined ? "**required**" : value === "" ? "(unset)" : `\`${JSON.stringify(value)}\``);
console.log("| key | type | default | description | example |");
console.log("|---|---|---|---|---|");
for (const spec of CONFIG_KEYS) {
    const type = spec.secret ? `${spec.type}, secret` : spec.type;
    console.log(`| \`${spec.key}\` | ${type} | ${shown(spec.default)} | ${cell(spec.description)} | \`${cell(spec.example)}\` |`);
}
