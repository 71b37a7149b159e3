/**
 * Draws timeline bars as an SVG document, one row per job instance, like
 * `systemd-analyze plot`: a time axis in seconds, each segment a coloured
 * rectangle, the name beside the bar. Plain text, no dependency. See
 * docs/seeing.md#the-timeline.
 *
 * @module
 */

import type { Bar, SegmentKind } from "./bars.ts";

/** The fill of each segment kind (the legend shows them in this order). */
export const SEGMENT_COLORS: Readonly<Record<SegmentKind, string>> = {
  starting: "#f0c674",
  "pre-start": "#de935f",
  spawned: "#b294bb",
  "post-start": "#81a2be",
  running: "#8abeb7",
  stopping: "#cc6666",
  "post-stop": "#969896",
};

/**
 * Text escaped for XML content and attribute values.
 *
 * @param text any text
 * @returns the escaped text
 */
export function xmlEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&apos;")
    // Characters XML 1.0 forbids are dropped.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

/** Layout of the picture. */
export interface SvgLayout {
  /** Pixels per second. */
  readonly pxPerSecond: number;
  readonly rowHeight: number;
}

const LEFT = 20;
const TOP = 50;
const LABEL_GAP = 6;

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/**
 * The SVG document of the bars.
 *
 * @param bars the bars (times in ms since the origin)
 * @param end ms since origin the picture spans to
 * @param title the heading
 * @param layout scale and row height
 * @returns the document
 */
export function renderTimelineSvg(
  bars: readonly Bar[],
  end: number,
  title: string,
  layout: SvgLayout = { pxPerSecond: 100, rowHeight: 20 },
): string {
  const span = Math.max(end, 1000);
  // Long sessions stay readable: at most about 2000 px of time.
  const pps = Math.min(layout.pxPerSecond, 2000 / (span / 1000));
  const x = (ms: number) => LEFT + (ms / 1000) * pps;
  const width = Math.ceil(x(span) + 300);
  const legendY = TOP + bars.length * layout.rowHeight + 30;
  const height = legendY + 30;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<title>${xmlEscape(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14">${xmlEscape(title)}</text>`,
  ];
  const step = pps >= 50 ? 1 : pps >= 10 ? 5 : pps >= 2 ? 30 : 300;
  for (let s = 0; s * 1000 <= span; s += step) {
    const xs = fmt(x(s * 1000));
    out.push(
      `<line x1="${xs}" y1="${TOP - 8}" x2="${xs}" y2="${TOP + bars.length * layout.rowHeight}" ` +
        `stroke="#dddddd"/>`,
      `<text x="${xs}" y="${TOP - 12}" text-anchor="middle" fill="#666666">${s}s</text>`,
    );
  }
  for (const [i, bar] of bars.entries()) {
    const y = TOP + i * layout.rowHeight;
    const name = bar.instance === "" ? bar.job : `${bar.job} (${bar.instance})`;
    out.push(
      `<g class="bar" data-job="${xmlEscape(bar.job)}" data-instance="${xmlEscape(bar.instance)}">`,
    );
    for (const seg of bar.segments) {
      const w = Math.max(1, x(seg.end) - x(seg.start));
      out.push(
        `<rect class="${seg.kind}" x="${fmt(x(seg.start))}" y="${y + 2}" width="${fmt(w)}" ` +
          `height="${layout.rowHeight - 4}" fill="${SEGMENT_COLORS[seg.kind]}">` +
          `<title>${
            xmlEscape(`${name}: ${seg.kind} ${fmt(seg.start / 1000)}s–${fmt(seg.end / 1000)}s`)
          }</title></rect>`,
      );
    }
    const lastEnd = bar.segments.at(-1)?.end ?? 0;
    out.push(
      `<text x="${fmt(x(lastEnd) + LABEL_GAP)}" y="${y + layout.rowHeight - 6}">${
        xmlEscape(name)
      }</text>`,
      `</g>`,
    );
  }
  let lx = LEFT;
  for (const [kind, color] of Object.entries(SEGMENT_COLORS)) {
    out.push(
      `<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 16}" y="${legendY + 10}">${kind}</text>`,
    );
    lx += 90;
  }
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}
