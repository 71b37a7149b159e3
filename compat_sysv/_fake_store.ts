/**
 * Test helper: an in-memory `RunlevelStore` holding utmp and wtmp as byte
 * arrays, using the real encoding.
 *
 * @module
 */

import { decodeAll, encodeUtmp, latestRunlevel, utmpSlot } from "../sys/utmp.ts";
import {
  recordsFor,
  type RunlevelChange,
  type Runlevels,
  type RunlevelStore,
} from "./utmp_file.ts";

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

  write(utmpPath: string, wtmpPath: string, change: RunlevelChange): Promise<void> {
    const utmp = this.files.get(utmpPath);
    if (utmp !== undefined) {
      const records = decodeAll(utmp);
      for (const record of recordsFor(records, change)) {
        records[utmpSlot(records, record.type)] = record;
      }
      this.files.set(utmpPath, new Uint8Array(records.flatMap((r) => [...encodeUtmp(r)])));
    }
    const wtmp = this.files.get(wtmpPath);
    if (wtmp !== undefined) {
      const added = recordsFor(decodeAll(wtmp), change).flatMap((r) => [...encodeUtmp(r)]);
      this.files.set(wtmpPath, new Uint8Array([...wtmp, ...added]));
    }
    return Promise.resolve();
  }
}
