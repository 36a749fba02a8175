// What the catalogue tests read out of the client's sources: the string literals of a module,
// and the words of index.html a person sees or hears. Small hand-made readers, enough for this
// project's own files (no HTML or JS parser is a dependency here); what they cannot see is said
// in docs/translating.md.

/**
 * Every string literal in a module's source, comments left out; a template literal with its
 * ${…} parts as "{}" (what is inside them is read as code, its own literals included).
 * @param {string} source
 * @returns {string[]}
 */
export function stringLiterals(source) {
  /** @type {string[]} */
  const found = [];
  let i = 0;
  // Whether a "/" here starts a regular expression: after an operator or an opening bracket.
  const regexCanStart = () => {
    let j = i - 1;
    while (j >= 0 && /\s/.test(source[j])) j--;
    return j < 0 || "(,=:[!&|?{};+-*%<>~^".includes(source[j]) || /\breturn$/.test(source.slice(0, j + 1));
  };
  /** @param {number} stopAtBrace  depth at which a "}" ends this stretch of code (-1: never) */
  const code = (stopAtBrace) => {
    let depth = 0;
    while (i < source.length) {
      const c = source[i];
      if (c === "/" && source[i + 1] === "/") i = source.indexOf("\n", i) === -1 ? source.length : source.indexOf("\n", i);
      else if (c === "/" && source[i + 1] === "*") i = source.indexOf("*/", i + 2) + 2;
      else if (c === '"' || c === "'") found.push(quoted(c));
      else if (c === "`") found.push(template());
      else if (c === "/" && regexCanStart()) regex();
      else if (c === "{") {
        depth++;
        i++;
      } else if (c === "}") {
        if (depth === 0 && stopAtBrace === 0) return;
        depth--;
        i++;
      } else i++;
    }
  };
  /** @param {string} quote */
  const quoted = (quote) => {
    let text = "";
    i++;
    while (i < source.length && source[i] !== quote) {
      if (source[i] === "\\") {
        text += source[i + 1];
        i += 2;
      } else text += source[i++];
    }
    i++;
    return text;
  };
  const template = () => {
    let text = "";
    i++;
    while (i < source.length && source[i] !== "`") {
      if (source[i] === "\\") {
        text += source[i + 1];
        i += 2;
      } else if (source[i] === "$" && source[i + 1] === "{") {
        i += 2;
        code(0);
        i++; // the closing "}"
        text += "{}";
      } else text += source[i++];
    }
    i++;
    return text;
  };
  const regex = () => {
    i++;
    let inClass = false;
    while (i < source.length && (inClass || source[i] !== "/")) {
      if (source[i] === "\\") i++;
      else if (source[i] === "[") inClass = true;
      else if (source[i] === "]") inClass = false;
      i++;
    }
    i++;
    while (/[a-z]/.test(source[i] ?? "")) i++; // flags
  };
  code(-1);
  return found;
}

/** A catalogue key as code names one: "area.name", letters only. */
export const KEY = /^[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/;

/**
 * Whether a literal reads like words for a person rather than a name for the program: a
 * capitalised word ("Camera"), or several words (with a letter) that begin with a capital or
 * end like a sentence. Class lists ("visitor unexpected"), ids, event names, selectors and keys
 * do not.
 * @param {string} text
 */
export function looksLikeWords(text) {
  const trimmed = text.trim();
  if (!/\p{L}/u.test(trimmed) || KEY.test(trimmed)) return false;
  if (/^\p{Lu}\p{Ll}+$/u.test(trimmed)) return true;
  const words = trimmed.split(/\s+/).filter((word) => /\p{L}{2,}/u.test(word));
  return words.length >= 2 && (/^\p{Lu}/u.test(trimmed) || /[.!?…:]$/.test(trimmed));
}

/** @param {string} text */
const squeeze = (text) => text.replace(/\s+/g, " ").trim();

/** @param {string} text */
const unescape = (text) =>
  text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&");

/** Attributes whose words a person reads or hears. */
export const WORDED_ATTRIBUTES = ["aria-label", "placeholder", "title", "alt"];

/**
 * The words of a page a person sees or hears, each with the element it is on: text between
 * tags, and worded attributes. Left out: <script>, <style>, comments, <title> (the brand) and
 * <kbd> (key caps, as printed on the keyboard).
 * @param {string} html
 * @returns {{text: string, where: string, key: string | null}[]}
 *   key: the data-i18n (for text) or data-i18n-attr key that marks it, if any
 */
export function pageWords(html) {
  const cleaned = html
    .replace(/<!--[\s\S]*?-->|<!doctype[^>]*>/gi, "")
    .replace(/<(script|style|title|kbd)\b[^>]*>[\s\S]*?<\/\1>/gi, " ");
  /** @type {{text: string, where: string, key: string | null}[]} */
  const words = [];
  /** @type {{tag: string, key: string | null}[]} the open elements, innermost last */
  const open = [];
  const VOID = new Set(["meta", "link", "input", "br", "img", "source", "use", "hr", "col", "area", "base", "wbr"]);
  const tags = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>/g;
  let last = 0;
  for (const match of cleaned.matchAll(tags)) {
    const between = squeeze(unescape(cleaned.slice(last, match.index)));
    const inner = open.at(-1);
    if (between && /\p{L}/u.test(between)) words.push({ text: between, where: `<${inner?.tag ?? "?"}>`, key: inner?.key ?? null });
    last = (match.index ?? 0) + match[0].length;
    const [, closing, tag, attributeText, selfClosing] = match;
    const name = tag.toLowerCase();
    if (closing) {
      const at = open.findLastIndex((element) => element.tag === name);
      if (at >= 0) open.length = at;
      continue;
    }
    /** @type {Record<string, string>} */
    const attributes = {};
    for (const [, attribute, , a, b, c] of attributeText.matchAll(/([^\s=>/]+)(\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
      attributes[attribute.toLowerCase()] = unescape(a ?? b ?? c ?? "");
    }
    /** @type {Record<string, string>} */
    const marked = {};
    for (const pair of (attributes["data-i18n-attr"] ?? "").split(";")) {
      const [attribute, key] = pair.split(":").map((part) => part.trim());
      if (attribute && key) marked[attribute] = key;
    }
    for (const attribute of WORDED_ATTRIBUTES) {
      const value = squeeze(attributes[attribute] ?? "");
      if (value && /\p{L}/u.test(value)) words.push({ text: value, where: `<${name} ${attribute}>`, key: marked[attribute] ?? null });
    }
    if (!selfClosing && !VOID.has(name)) open.push({ tag: name, key: attributes["data-i18n"] ?? null });
  }
  return words;
}
