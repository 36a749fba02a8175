// @ts-check
/**
 * The join link as a QR code, drawn in the page: the link holds the passphrase after "#",
 * which must never reach the server, so no server can draw it.
 *
 * The encoder is lean-qr 2.7.4 (MIT, vendor/lean-qr/, the package's index.mjs unchanged), about
 * 3.5 KB gzipped, fetched the first time a code is shown: most calls never show one.
 */

const NS = "http://www.w3.org/2000/svg";
/** Modules of white around the code, as the standard asks. */
const QUIET_ZONE = 4;

/**
 * @typedef {{size: number, get(x: number, y: number): boolean}} Bitmap
 * @typedef {{generate(text: string, options?: {minCorrectionLevel?: number}): Bitmap, correction: Record<string, number>}} Encoder
 */

/** Named through a URL, not a literal import, so that tsc does not type-check the vendored code. */
const ENCODER = new URL("./vendor/lean-qr/index.mjs", import.meta.url).href;

/** @type {Promise<Encoder> | null} */
let loading = null;

/** The encoder, loaded once; a failed load may be tried again. @returns {Promise<Encoder>} */
function encoder() {
  loading ??= /** @type {Promise<Encoder>} */ (import(ENCODER)).catch((error) => {
    loading = null;
    throw error;
  });
  return loading;
}

/**
 * An SVG of `text` as a QR code, black on white whatever the page's colours (an inverted code
 * is one some cameras do not read), named for those who cannot see it.
 * @param {string} text @param {string} label
 * @returns {Promise<SVGSVGElement>}
 */
export async function qrSvg(text, label) {
  const { generate, correction } = await encoder();
  // M, as the terminal's code: a phone held up to a screen needs no more, and the code stays
  // small enough to read at arm's length.
  const code = generate(text, { minCorrectionLevel: correction.M });
  const side = code.size + 2 * QUIET_ZONE;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `${-QUIET_ZONE} ${-QUIET_ZONE} ${side} ${side}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const ground = document.createElementNS(NS, "rect");
  for (const [name, value] of [["x", -QUIET_ZONE], ["y", -QUIET_ZONE], ["width", side], ["height", side]]) {
    ground.setAttribute(String(name), String(value));
  }
  ground.setAttribute("fill", "#fff");
  // One path of unit squares, one per dark module: a few hundred, drawn once.
  let d = "";
  for (let y = 0; y < code.size; y++) {
    for (let x = 0; x < code.size; x++) if (code.get(x, y)) d += `M${x} ${y}h1v1h-1z`;
  }
  const modules = document.createElementNS(NS, "path");
  modules.setAttribute("d", d);
  modules.setAttribute("fill", "#000");
  svg.append(ground, modules);
  return svg;
}
