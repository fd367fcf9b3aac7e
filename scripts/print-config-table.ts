/** Prints README's config reference table from CONFIG_KEYS: `npx ts-node --transpile-only scripts/print-config-table.ts`. */
import { configTableMarkdown } from "./configTable";

process.stdout.write(configTableMarkdown());
