/**
 * Who is on the other end of a control-socket connection: what `SO_PEERCRED` on the accepted fd
 * says (the raw listener reads it once, at accept; see `raw_listener.ts`). One type for the server,
 * the admission limits and the caller's identity.
 *
 * @module
 */

import type { PeerCred } from "../../sys/libc.ts";

/** The credentials the kernel recorded for the connecting process. */
export type PeerCredentials = PeerCred;
