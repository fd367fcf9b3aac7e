/**
 * A small, namespace-aware XML tree for the vSphere Web Services (SOAP) client.
 *
 * Parsing and serialising are done by fast-xml-parser (XMLParser / XMLBuilder in preserveOrder
 * mode); this module only converts between its ordered JSON form and a tree that is convenient
 * for vim25:
 *
 * - element names are local names (namespace prefixes stripped: every vim25 element lives in
 *   the `urn:vim25` namespace);
 * - the XML Schema instance type attribute is always `attrs["xsi:type"]`, whatever prefix the
 *   server used (vCenter uses `xsi:`, govmomi/vcsim uses `XMLSchema-instance:` declared on an
 *   ancestor), and its QName value is normalised to `Type` (vim25 types) or `xsd:type`;
 * - namespace declarations and other foreign attributes are dropped;
 * - element order is kept, which matters for data echoed back to the server (ImportSpec).
 *
 * Escaping of text and attribute values is done by XMLBuilder (`processEntities`), decoding of
 * entity and character references (`&amp;`, `&#34;`, `&#xA;`) by XMLParser.
 */
import { XMLBuilder, XMLParser } from "fast-xml-parser";

export const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";
export const XSD_NS = "http://www.w3.org/2001/XMLSchema";
export const VIM25_NS = "urn:vim25";
export const SOAPENV_NS = "http://schemas.xmlsoap.org/soap/envelope/";

/** An XML element: local name, normalised attributes, ordered children (elements or text). */
export interface XmlElement {
    name: string;
    attrs: Record<string, string>;
    children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export function isElement(node: XmlNode | undefined): node is XmlElement {
    return typeof node === "object" && node !== null;
}

/** Builds an element. `content` is a text value, a list of children, or nothing (empty element). */
export function el(name: string, content?: string | number | boolean | XmlNode[], attrs: Record<string, string> = {}): XmlElement {
    let children: XmlNode[];
    if (content === undefined) {
        children = [];
    } else if (Array.isArray(content)) {
        children = content;
    } else {
        children = [String(content)];
    }
    return { name, attrs: { ...attrs }, children };
}

// ---------------------------------------------------------------------------------------------
// Parsing

const ATTR = "@_";

const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: ATTR,
    removeNSPrefix: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: true,
    htmlEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
});

type OrderedNode = Record<string, unknown>;

function splitQName(qname: string): [string | undefined, string] {
    const i = qname.indexOf(":");
    return i < 0 ? [undefined, qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

function normaliseTypeValue(value: string, scope: Map<string, string>): string {
    const [prefix, local] = splitQName(value.trim());
    const ns = scope.get(prefix ?? "");
    if (ns === XSD_NS) {
        return `xsd:${local}`;
    }
    if (prefix === undefined || ns === VIM25_NS) {
        return local;
    }
    return value.trim();
}

function convert(node: OrderedNode, parentScope: Map<string, string>): XmlElement | undefined {
    const tag = Object.keys(node).find((k) => k !== ":@");
    if (tag === undefined || tag.startsWith("?") || tag === "#text") {
        return undefined;
    }
    const rawAttrs = (node[":@"] as Record<string, string> | undefined) ?? {};
    let scope = parentScope;
    for (const [key, value] of Object.entries(rawAttrs)) {
        const name = key.slice(ATTR.length);
        if (name === "xmlns" || name.startsWith("xmlns:")) {
            if (scope === parentScope) {
                scope = new Map(parentScope);
            }
            scope.set(name === "xmlns" ? "" : name.slice("xmlns:".length), String(value));
        }
    }
    const attrs: Record<string, string> = {};
    for (const [key, rawValue] of Object.entries(rawAttrs)) {
        const name = key.slice(ATTR.length);
        const value = String(rawValue);
        if (name === "xmlns" || name.startsWith("xmlns:")) {
            continue;
        }
        const [prefix, local] = splitQName(name);
        if (prefix === undefined) {
            attrs[local] = value;
        } else if (scope.get(prefix) === XSI_NS) {
            attrs[`xsi:${local}`] = local === "type" ? normaliseTypeValue(value, scope) : value;
        }
        // other namespaced attributes are not part of vim25 and are dropped
    }
    const children: XmlNode[] = [];
    for (const child of (node[tag] as OrderedNode[] | undefined) ?? []) {
        if (Object.prototype.hasOwnProperty.call(child, "#text")) {
            children.push(String(child["#text"]));
        } else {
            const e = convert(child, scope);
            if (e) {
                children.push(e);
            }
        }
    }
    // Whitespace between elements (pretty-printed XML) is not data.
    const hasElements = children.some(isElement);
    const kept = hasElements ? children.filter((c) => isElement(c) || c.trim() !== "") : mergeText(children);
    return { name: splitQName(tag)[1], attrs, children: kept };
}

function mergeText(children: XmlNode[]): XmlNode[] {
    if (children.length <= 1) {
        return children;
    }
    return [children.map((c) => (isElement(c) ? "" : c)).join("")];
}

/** Parses an XML document and returns its root element. Throws on malformed XML. */
export function parseXml(xml: string): XmlElement {
    const ordered = parser.parse(xml) as OrderedNode[];
    const scope = new Map<string, string>([["xml", "http://www.w3.org/XML/1998/namespace"]]);
    for (const node of ordered) {
        const e = convert(node, scope);
        if (e) {
            return e;
        }
    }
    throw new Error("no root element in XML document");
}

// ---------------------------------------------------------------------------------------------
// Serialising

const builder = new XMLBuilder({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: ATTR,
    suppressEmptyNode: false,
    suppressBooleanAttributes: false,
    processEntities: true,
    format: false,
});

function toOrdered(e: XmlElement): OrderedNode {
    const out: OrderedNode = {
        [e.name]: e.children.map((c) => (isElement(c) ? toOrdered(c) : { "#text": c })),
    };
    const attrs = Object.entries(e.attrs);
    if (attrs.length > 0) {
        out[":@"] = Object.fromEntries(attrs.map(([k, v]) => [ATTR + k, String(v)]));
    }
    return out;
}

/** Serialises an element (and its subtree); values are escaped by XMLBuilder. */
export function buildXml(root: XmlElement, declaration = true): string {
    const body = builder.build([toOrdered(root)]) as string;
    return declaration ? `<?xml version="1.0" encoding="UTF-8"?>${body}` : body;
}

// ---------------------------------------------------------------------------------------------
// Reading helpers

export function children(e: XmlElement | undefined, name?: string): XmlElement[] {
    if (!e) {
        return [];
    }
    return e.children.filter((c): c is XmlElement => isElement(c) && (name === undefined || c.name === name));
}

export function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
    return e?.children.find((c): c is XmlElement => isElement(c) && c.name === name);
}

/** The text content of an element (concatenated text children; "" when empty). */
export function text(e: XmlElement | undefined): string {
    if (!e) {
        return "";
    }
    return e.children.filter((c): c is string => !isElement(c)).join("");
}

export function childText(e: XmlElement | undefined, name: string): string | undefined {
    const c = child(e, name);
    return c === undefined ? undefined : text(c);
}

export function xsiType(e: XmlElement | undefined): string | undefined {
    return e?.attrs["xsi:type"];
}

/** Deep copy with a new element name (attributes and order kept). */
export function renamed(e: XmlElement, name: string): XmlElement {
    return { ...cloneElement(e), name };
}

export function cloneElement(e: XmlElement): XmlElement {
    return { name: e.name, attrs: { ...e.attrs }, children: e.children.map((c) => (isElement(c) ? cloneElement(c) : c)) };
}

const NUMBER_TYPES = new Set(["xsd:int", "xsd:long", "xsd:short", "xsd:byte", "xsd:float", "xsd:double"]);

/**
 * Converts an element to a plain JavaScript value:
 * - a managed object reference (`type` attribute, text only) becomes `{ type, value }`;
 * - `xsd:boolean` / numeric xsd types become booleans / numbers;
 * - `ArrayOf...` becomes an array of its converted children;
 * - other text-only elements become strings;
 * - complex elements become objects (repeated child names become arrays); when the element
 *   has an `xsi:type`, it is kept as `_type`.
 * Nested leaves without an `xsi:type` stay strings (no schema is consulted).
 */
export function toPlain(e: XmlElement): unknown {
    const type = xsiType(e);
    const elems = children(e);
    if (type?.startsWith("ArrayOf")) {
        return elems.map(toPlain);
    }
    if (elems.length === 0) {
        const value = text(e);
        if (type === "ManagedObjectReference" || (e.attrs.type !== undefined && type === undefined)) {
            return { type: e.attrs.type ?? "", value };
        }
        if (type === "xsd:boolean") {
            return value.trim() === "true" || value.trim() === "1";
        }
        if (type !== undefined && NUMBER_TYPES.has(type)) {
            return Number(value);
        }
        if (type !== undefined && !type.startsWith("xsd:") && value === "") {
            return { _type: type };
        }
        return value;
    }
    const out: Record<string, unknown> = {};
    if (type !== undefined) {
        out._type = type;
    }
    const counts = new Map<string, number>();
    for (const c of elems) {
        counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
    }
    for (const c of elems) {
        const value = toPlain(c);
        if ((counts.get(c.name) ?? 0) > 1) {
            const list = (out[c.name] as unknown[] | undefined) ?? [];
            list.push(value);
            out[c.name] = list;
        } else {
            out[c.name] = value;
        }
    }
    return out;
}
