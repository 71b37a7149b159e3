/**
 * Who may hold a control-socket connection (docs/rpc.md#limits): a total
 * limit, a per-uid limit for unprivileged callers, and a reserve of the total
 * that only root and the daemon's owner may use. So one user opening
 * connections (or many users together) can never refuse root or the owner,
 * and one user cannot take every slot from the others.
 *
 * @module
 */

import type { PeerCredentials } from "./peercred.ts";

/** The limits; every count is of open connections. */
export interface AdmissionLimits {
  /** Connections open at once, all callers together. */
  readonly maxConnections: number;
  /** Connections open at once per unprivileged uid (unknown peers share one count). */
  readonly maxPerUid: number;
  /** Of `maxConnections`, how many only privileged callers may use. */
  readonly reserved: number;
  /** Root and the daemon's owner: only the total limit applies to them. */
  readonly privileged: (uid: number) => boolean;
}

/** Why a connection was refused, or `null` with a release function when admitted. */
export type Admitted = { readonly release: () => void } | { readonly refused: string };

/** Counts open connections and admits or refuses new ones. */
export class Admission {
  readonly #limits: AdmissionLimits;
  #total = 0;
  /** Open connections per unprivileged uid; `-1` counts peers whose uid is unknown. */
  readonly #perUid = new Map<number, number>();

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /** Connections open now. */
  get total(): number {
    return this.#total;
  }

  /** Admits a connection of `peer` (or says why not); call `release` once when it closes. */
  admit(peer: PeerCredentials | null): Admitted {
    const l = this.#limits;
    if (this.#total >= l.maxConnections) return { refused: "too many clients" };
    const privileged = peer !== null && l.privileged(peer.uid);
    if (privileged) {
      this.#total++;
      return { release: this.#releaser(null) };
    }
    if (this.#total >= l.maxConnections - l.reserved) {
      return { refused: "too many clients (the rest is kept for root and the owner)" };
    }
    const key = peer?.uid ?? -1;
    const mine = this.#perUid.get(key) ?? 0;
    if (mine >= l.maxPerUid) return { refused: `too many clients of uid ${key}` };
    this.#perUid.set(key, mine + 1);
    this.#total++;
    return { release: this.#releaser(key) };
  }

  #releaser(key: number | null): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#total--;
      if (key === null) return;
      const left = (this.#perUid.get(key) ?? 1) - 1;
      if (left <= 0) this.#perUid.delete(key);
      else this.#perUid.set(key, left);
    };
  }
}
