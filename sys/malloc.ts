/**
 * Giving the C heap's free pages back to the kernel (see docs/behaviour.md#memory). glibc's
 * malloc keeps what a thread freed in that thread's arena, and returns it to the kernel only
 * when it lies at the very top of the arena: after a burst, the arenas of Deno's and V8's
 * threads (spawns, compilation, garbage collection) and the JS thread's (array buffers,
 * replies) hold megabytes of free pages between live allocations. `malloc_trim(0)` walks every
 * arena and releases each whole free page in it (`MADV_DONTNEED`), which only a process's own
 * call can do: no environment variable is needed, so the jobs inherit nothing.
 *
 * @module
 */

import { bindLibc } from "./libc.ts";

const libc = bindLibc({
  malloc_trim: { parameters: ["usize"], result: "i32" },
});

/**
 * `malloc_trim(0)`: true when memory was released to the kernel, false when there was none or
 * the C library has no such call (it is glibc's; another libc's malloc is left alone).
 */
export function releaseFreeHeapPages(): boolean {
  let trim: (pad: bigint) => number;
  try {
    trim = libc.sym().malloc_trim;
  } catch {
    return false; // no malloc_trim in this libc
  }
  return trim(0n) === 1;
}
