// Reading PROTOCOL.md for the JS tests: its test vectors and the documented example of every
// message, so that the client is held to the document and not to a copy of it.

import { readFileSync } from "node:fs";

export const PROTOCOL = readFileSync(new URL("../../PROTOCOL.md", import.meta.url), "utf8");

/** The one fenced block whose info string is `json vectors`. */
export function vectors() {
  const blocks = [...PROTOCOL.matchAll(/^```json vectors\n([\s\S]*?)^```$/gm)];
  if (blocks.length !== 1) throw new Error("PROTOCOL.md must hold exactly one ```json vectors block");
  return JSON.parse(blocks[0][1]);
}

/**
 * Headings of one level mapped to the text up to the next heading of that level.
 * @param {string} text @param {number} level
 */
export function sections(text, level) {
  const marker = "#".repeat(level);
  const parts = text.split(new RegExp(`^${marker} (.+)$`, "m"));
  /** @type {Map<string, string>} */
  const found = new Map();
  for (let i = 1; i < parts.length; i += 2) found.set(parts[i].trim(), parts[i + 1]);
  return found;
}

/**
 * Each message a `## section` documents, by name, with its ```json examples parsed.
 * @param {string} title  "Messages from server to client", "Introductions", "Sealed messages"
 * @returns {Map<string, any[]>}
 */
export function documented(title) {
  const body = sections(PROTOCOL, 2).get(title);
  if (body === undefined) throw new Error(`PROTOCOL.md has no section ${title}`);
  const out = new Map();
  for (const [heading, text] of sections(body, 3)) {
    const name = /^`([^`]+)`$/.exec(heading)?.[1];
    if (!name) throw new Error(`PROTOCOL.md: ${heading} does not name a message`);
    const examples = [...text.matchAll(/^```json\n([\s\S]*?)^```$/gm)].map((m) => JSON.parse(m[1]));
    out.set(name, examples);
  }
  return out;
}
