/**
 * What the `seccomp` stanza denies (docs/job-files.md#seccomp). Pure: the list is compiled
 * into a filter by `sys/seccomp.ts` and loaded by bwrap (`sandbox.ts`).
 *
 * @module
 */

import type { SeccompSpec } from "../parser/types.ts";

/**
 * `seccomp default`: calls a service has no business making, each of which loads code into the
 * kernel, changes the machine for everyone, undoes the sandbox's mounts, or reaches into other
 * processes or kernel state. The reasons are in docs/job-files.md#seccomp.
 */
export const DEFAULT_SECCOMP_DENY: readonly string[] = [
  // kernel code and the machine itself
  "kexec_load",
  "kexec_file_load",
  "init_module",
  "finit_module",
  "delete_module",
  "reboot",
  "swapon",
  "swapoff",
  "acct",
  "iopl",
  "ioperm",
  "settimeofday",
  "clock_settime",
  "clock_adjtime",
  "adjtimex",
  "syslog",
  "quotactl",
  "vhangup",
  "uselib",
  // the file-system view: mounts and namespaces
  "mount",
  "umount2",
  "pivot_root",
  "move_mount",
  "open_tree",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "mount_setattr",
  "unshare",
  "setns",
  "open_by_handle_at",
  // other processes and kernel attack surface
  "ptrace",
  "process_vm_readv",
  "process_vm_writev",
  "bpf",
  "perf_event_open",
  "userfaultfd",
  "keyctl",
  "add_key",
  "request_key",
];

/**
 * The calls a job's `seccomp` stanzas deny, sorted and without repeats: the default list when
 * asked for, plus the `deny` names, minus the `allow` names.
 */
export function seccompDenyList(spec: SeccompSpec): string[] {
  const out = new Set<string>(spec.default ? DEFAULT_SECCOMP_DENY : []);
  for (const name of spec.deny) out.add(name);
  for (const name of spec.allow) out.delete(name);
  return [...out].sort();
}
