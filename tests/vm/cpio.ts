/**
 * A writer for the "newc" cpio format (the one the Linux kernel unpacks as an initramfs).
 *
 * Written by hand rather than through the `cpio` tool: a missing tool once produced an empty
 * archive without any error, and writing the format directly lets entries come from memory.
 * Reference: the kernel's `Documentation/driver-api/early-userspace/buffer-format.rst`.
 *
 * @module
 */

/**
 * One member of the archive; parent directories must be listed before their children. `mtime` is
 * in seconds since the epoch, default 0. Prefer a real one: once apparmor_parser 3.0 has cached
 * a profile whose mtime was 0, `-r -W` kept loading that stale cache after the file was edited.
 */
export type CpioEntry =
  & { readonly path: string; readonly mtime?: number }
  & (
    | { readonly kind: "dir"; readonly mode: number }
    | { readonly kind: "file"; readonly mode: number; readonly data: Uint8Array }
    | { readonly kind: "symlink"; readonly target: string }
  );

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const MAGIC = "070701";
const TRAILER = "TRAILER!!!";

/** Thrown when an entry cannot be represented in a newc archive. */
export class CpioEntryError extends RangeError {
  /** The offending archive path. */
  readonly path: string;
  constructor(path: string, why: string) {
    super(`Cannot add "${path}" to the cpio archive: ${why}`);
    this.name = "CpioEntryError";
    this.path = path;
  }
}

const encoder = new TextEncoder();

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

interface Header {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly mtime: number;
  readonly size: number;
}

function header(h: Header, name: string): Uint8Array {
  const nameBytes = encoder.encode(name);
  const fields = [
    h.ino,
    h.mode,
    0,
    0,
    h.nlink,
    h.mtime,
    h.size,
    0,
    0,
    0,
    0,
    nameBytes.length + 1,
    0,
  ];
  const head = encoder.encode(MAGIC + fields.map(hex8).join(""));
  const out = new Uint8Array(
    head.length + nameBytes.length + 1 + pad4(head.length + nameBytes.length + 1),
  );
  out.set(head, 0);
  out.set(nameBytes, head.length);
  return out;
}

function archiveName(path: string): string {
  // The kernel accepts "bin/sh" and "/bin/sh" alike; GNU cpio lists relative names, so use those.
  const name = path.replace(/^\/+/, "");
  if (name === "" || name.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new CpioEntryError(path, "the path must be absolute and normalised");
  }
  return name;
}

/**
 * Encodes entries as a newc cpio archive, yielding chunks so a large archive never has to be
 * joined into one buffer.
 *
 * @param entries the members, in order (directories before what they contain)
 * @returns the archive's byte chunks, ending with the `TRAILER!!!` record
 * @throws {CpioEntryError} for a relative or non-normalised path, or a file over 4 GiB
 */
export function* encodeCpio(entries: Iterable<CpioEntry>): Generator<Uint8Array> {
  let ino = 1;
  for (const entry of entries) {
    const name = archiveName(entry.path);
    let data: Uint8Array;
    let mode: number;
    if (entry.kind === "dir") {
      data = new Uint8Array(0);
      mode = S_IFDIR | (entry.mode & 0o7777);
    } else if (entry.kind === "file") {
      data = entry.data;
      mode = S_IFREG | (entry.mode & 0o7777);
    } else {
      data = encoder.encode(entry.target);
      mode = S_IFLNK | 0o777;
    }
    if (data.length > 0xffffffff) throw new CpioEntryError(entry.path, "it is larger than 4 GiB");
    const mtime = Math.max(0, Math.floor(entry.mtime ?? 0));
    const nlink = entry.kind === "dir" ? 2 : 1;
    yield header({ ino: ino++, mode, nlink, mtime, size: data.length }, name);
    if (data.length > 0) {
      yield data;
      const padding = pad4(data.length);
      if (padding > 0) yield new Uint8Array(padding);
    }
  }
  yield header({ ino: 0, mode: 0, nlink: 1, mtime: 0, size: 0 }, TRAILER);
}
