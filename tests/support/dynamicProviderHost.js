// Loads a dynamic provider the way Pulumi's dynamic-provider host does (require-from-string of
// the serialized `__provider` text, then `.handler()`), in a plain Node process without ts-node,
// and calls one of its methods. Input on stdin: {"serialized", "method", "args"}; output on
// stdout: one line `RESULT <json>` or `ERROR <json>`; anything the provider logs goes before it.
"use strict";
const requireFromString = require("require-from-string");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
    try {
        const { serialized, method, args } = JSON.parse(input);
        const provider = requireFromString(serialized).handler();
        if (typeof provider[method] !== "function") {
            throw new Error(`the provider has no ${method}()`);
        }
        const result = await provider[method](...args);
        process.stdout.write(`\nRESULT ${JSON.stringify(result === undefined ? null : result)}\n`);
        process.exit(0);
    } catch (error) {
        process.stdout.write(`\nERROR ${JSON.stringify({ message: String(error && error.message ? error.message : error) })}\n`);
        process.exit(1);
    }
});
