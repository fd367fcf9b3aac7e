/**
 * Names that Palette derives from files: the `r_` template name of an OVA and the pack name and
 * version of an `airgap-pack-*.bin`. Pure functions, no I/O.
 */

/**
 * The VM template name Palette looks for: `prefix` + the OVA's file name without directories,
 * query string, fragment or `.ova` extension (any case). `source` may be a URL or a local path
 * (POSIX or Windows separators). A name that already starts with `prefix` is not prefixed twice.
 *
 * ovaTemplateName("https://mirror/u-2204-0-k-12510-0.ova?sig=x") === "r_u-2204-0-k-12510-0"
 */
export function ovaTemplateName(source: string, prefix = "r_"): string {
    if (typeof source !== "string") {
        throw new Error(`ovaTemplateName: the OVA source must be a string, got ${typeof source}`);
    }
    const lastSegment = pathOf(source.trim()).split(/[\\/]/).pop() ?? "";
    let fileName = lastSegment;
    try {
        fileName = decodeURIComponent(lastSegment);
    } catch {
        // Not percent-encoded: keep the segment as it is.
    }
    const baseName = fileName.replace(/\.ova$/i, "");
    if (baseName === "" || baseName === "." || baseName === "..") {
        throw new Error(
            `ovaTemplateName: cannot derive a file name from the OVA source "${source}"; ` +
                `give a path or URL that ends in a file name, e.g. https://mirror.internal/u-2204-0-k-12510-0.ova`,
        );
    }
    return baseName.startsWith(prefix) ? baseName : prefix + baseName;
}

/**
 * The path part of a URL (so that `https://mirror.internal` has no file name, not
 * `mirror.internal`), or of a local path with any query string or fragment of a copied link removed.
 */
function pathOf(source: string): string {
    if (/^(https?|file):\/\//i.test(source)) {
        try {
            return new URL(source).pathname;
        } catch {
            // Not a parseable URL: fall through and treat it as a path.
        }
    }
    return source.replace(/[?#].*$/s, "");
}

/** vSphere names (of VMs, templates, folders) have at most 80 characters. */
export const VSPHERE_NAME_MAX = 80;

/**
 * What is wrong with a template name, or undefined: Palette finds only `r_<name>` templates, and
 * vSphere names have at most 80 characters and store `/`, `\` and `%` escaped (%2f, %5c, %25), so
 * a template named with them is never found under its own name.
 */
export function templateNameProblem(name: string): string | undefined {
    const quoted = JSON.stringify(name);
    if (!name.startsWith("r_")) {
        return `${quoted} does not start with r_; Palette only finds templates named r_<name>, e.g. r_${name.replace(/[/\\%]/g, "-")}`;
    }
    if (name === "r_") {
        return `${quoted} has nothing after r_; give r_<name>, e.g. r_u-2204-0-k-12510-0`;
    }
    if (/[/\\%]/.test(name)) {
        return `${quoted} contains / \\ or %, which vSphere escapes in names (so Palette would not find it); e.g. ${JSON.stringify(name.replace(/[/\\%]/g, "-"))}`;
    }
    if (/[\u0000-\u001f\u007f]/.test(name)) {
        return `${quoted} contains a control character`;
    }
    if (name.length > VSPHERE_NAME_MAX) {
        return `"${name.slice(0, 20)}…" is ${name.length} characters long; vSphere names have at most ${VSPHERE_NAME_MAX}`;
    }
    return undefined;
}

/** A pack binary `airgap-pack-<name>-<version>.bin`, parsed from its file name. */
export interface PackBinary {
    /** The file's path as configured. */
    path: string;
    /** Pack name, e.g. `cni-calico`. */
    name: string;
    /** Pack version, e.g. `3.25.1`. */
    version: string;
}

const PACK_FILE_NAME = /^airgap-pack-([a-z0-9][a-z0-9-]*?)-(\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.-]+)?)\.bin$/;

/**
 * Parses `airgap-pack-<name>-<version>.bin` (the names in the procedure's pack table). Throws an
 * Error naming the file when the name does not follow that pattern.
 */
export function parsePackBinary(path: string): PackBinary {
    const fileName = path.split(/[\\/]/).pop() ?? "";
    const match = PACK_FILE_NAME.exec(fileName);
    if (!match) {
        throw new Error(
            `"${path}" is not a pack binary name: expected airgap-pack-<name>-<version>.bin, ` +
                `e.g. airgap-pack-cni-calico-3.25.1.bin`,
        );
    }
    return { path, name: match[1], version: match[2] };
}
