/**
 * Test helper: an in-memory `RunlevelStore` holding utmp and wtmp as byte
 * arrays, using the real encoding.
 *
 * @module
 */

import { decodeAll, encodeUtmp, latestRunlevel, UTMP_SIZE, utmpSlot } from "../sys/utmp.ts";
import type { Runlevels, RunlevelStore } from "./utmp_file.ts";

/** Files by path; a missing path reads as NotFound and is not written. */
export class FakeRunlevelStore implements RunlevelStore {
  readonly files = new Map<string, Uint8Array>();

  read(path: string): Promise<Runlevels | null> {
    const bytes = this.files.get(path);
    if (bytes === undefined) {
      return Promise.reject(new Deno.errors.NotFound("No such file or directory (os error 2)"));
    }
    return Promise.resolve(latestRunlevel(decodeAll(bytes)));
  }

  write(
    utmpPath: string,
    wtmpPath: string,
    record: Parameters<RunlevelStore["write"]>[2],
  ): Promise<void> {
    const utmp = this.files.get(utmpPath);
    if (utmp !== undefined) {
      const slot = utmpSlot(decodeAll(utmp), record.type);
      const out = new Uint8Array(Math.max(utmp.length, (slot + 1) * UTMP_SIZE));
      out.set(utmp);
      out.set(encodeUtmp(record), slot * UTMP_SIZE);
      this.files.set(utmpPath, out);
    }
    const wtmp = this.files.get(wtmpPath);
    if (wtmp !== undefined) {
      this.files.set(wtmpPath, new Uint8Array([...wtmp, ...encodeUtmp(record)]));
    }
    return Promise.resolve();
  }
}
