/**
 * POSIX path joining, as `node:path`'s `posix.join` and `posix.isAbsolute` do it, for the modules
 * on the daemon's path to its first job: the first `node:` import of a process starts Deno's Node
 * compatibility layer, about 20 ms (docs/platform.md#start-up-costs). Pure: no I/O.
 *
 * @module
 */

/** Whether `path` is absolute (starts with `/`). */
function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Resolves `.` and `..` segments and repeated slashes of `path` (Node's algorithm). */
function normalizeSegments(path: string, allowAboveRoot: boolean): string {
  let res = "";
  let lastSegmentLength = 0;
  let lastSlash = -1;
  let dots = 0;
  let code = 0;
  for (let i = 0; i <= path.length; ++i) {
    if (i < path.length) code = path.charCodeAt(i);
    else if (code === SLASH) break;
    else code = SLASH;
    if (code === SLASH) {
      if (lastSlash === i - 1 || dots === 1) {
        // An empty segment or `.`: nothing to add.
      } else if (dots === 2) {
        if (
          res.length < 2 || lastSegmentLength !== 2 || res.charCodeAt(res.length - 1) !== DOT ||
          res.charCodeAt(res.length - 2) !== DOT
        ) {
          if (res.length > 2) {
            const lastSlashIndex = res.lastIndexOf("/");
            if (lastSlashIndex === -1) {
              res = "";
              lastSegmentLength = 0;
            } else {
              res = res.slice(0, lastSlashIndex);
              lastSegmentLength = res.length - 1 - res.lastIndexOf("/");
            }
            lastSlash = i;
            dots = 0;
            continue;
          } else if (res.length !== 0) {
            res = "";
            lastSegmentLength = 0;
            lastSlash = i;
            dots = 0;
            continue;
          }
        }
        if (allowAboveRoot) {
          res += res.length > 0 ? "/.." : "..";
          lastSegmentLength = 2;
        }
      } else {
        const segment = path.slice(lastSlash + 1, i);
        res = res.length > 0 ? `${res}/${segment}` : segment;
        lastSegmentLength = i - lastSlash - 1;
      }
      lastSlash = i;
      dots = 0;
    } else if (code === DOT && dots !== -1) {
      ++dots;
    } else {
      dots = -1;
    }
  }
  return res;
}

const SLASH = 0x2f;
const DOT = 0x2e;

/** `path` normalised: `.` and `..` resolved, slashes collapsed, a trailing slash kept. */
function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  const trailingSeparator = path.endsWith("/");
  let normal = normalizeSegments(path, !absolute);
  if (normal === "") {
    if (absolute) return "/";
    return trailingSeparator ? "./" : ".";
  }
  if (trailingSeparator) normal += "/";
  return absolute ? `/${normal}` : normal;
}

/** The non-empty `parts` joined with `/`, then normalised (`.` when nothing is left). */
function join(...parts: string[]): string {
  const joined = parts.filter((p) => p.length > 0).join("/");
  return joined === "" ? "." : normalize(joined);
}

/**
 * The subset of `node:path`'s `posix` the daemon uses, with the same results.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { posix } from "./path.ts";
 * assert.equal(posix.join("/srv/root", "/etc/passwd"), "/srv/root/etc/passwd");
 * assert.equal(posix.join("/home/u", "../v/./bin"), "/home/v/bin");
 * ```
 */
export const posix: {
  readonly join: (...parts: string[]) => string;
  readonly normalize: (path: string) => string;
  readonly isAbsolute: (path: string) => boolean;
} = { join, normalize, isAbsolute };
