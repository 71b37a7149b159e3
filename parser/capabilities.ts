/**
 * Linux capability names, for the `capabilities` extension stanza.
 *
 * @module
 */

/**
 * Every capability Linux 6.x defines, indexed by its number (`CAP_CHOWN` is 0), spelled as
 * `setpriv --bounding-set` wants them: lower case, without `cap_`.
 */
export const CAPABILITIES = [
  "chown",
  "dac_override",
  "dac_read_search",
  "fowner",
  "fsetid",
  "kill",
  "setgid",
  "setuid",
  "setpcap",
  "linux_immutable",
  "net_bind_service",
  "net_broadcast",
  "net_admin",
  "net_raw",
  "ipc_lock",
  "ipc_owner",
  "sys_module",
  "sys_rawio",
  "sys_chroot",
  "sys_ptrace",
  "sys_pacct",
  "sys_admin",
  "sys_boot",
  "sys_nice",
  "sys_resource",
  "sys_time",
  "sys_tty_config",
  "mknod",
  "lease",
  "audit_write",
  "audit_control",
  "setfcap",
  "mac_override",
  "mac_admin",
  "syslog",
  "wake_alarm",
  "block_suspend",
  "audit_read",
  "perfmon",
  "bpf",
  "checkpoint_restore",
] as const;

/** One capability name, as stored. */
export type Capability = typeof CAPABILITIES[number];

const BY_NAME: ReadonlyMap<string, number> = new Map(CAPABILITIES.map((c, i) => [c, i]));

/**
 * Reads a capability name as people write it: `net_bind_service`, `cap_net_bind_service` or
 * `CAP_NET_BIND_SERVICE`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capabilityName } from "./capabilities.ts";
 * assert.equal(capabilityName("CAP_NET_RAW"), "net_raw");
 * assert.equal(capabilityName("net_frobnicate"), null);
 * ```
 *
 * @param text A name from a job file.
 * @returns The stored spelling, or `null` for an unknown name.
 */
export function capabilityName(text: string): Capability | null {
  const lower = text.toLowerCase();
  const bare = lower.startsWith("cap_") ? lower.slice(4) : lower;
  const index = BY_NAME.get(bare);
  return index === undefined ? null : CAPABILITIES[index] ?? null;
}

/**
 * @param name A stored capability name.
 * @returns Its number (the bit in `/proc/PID/status` `CapBnd:`), or -1 when unknown.
 */
export function capabilityNumber(name: string): number {
  return BY_NAME.get(name) ?? -1;
}
