/**
 * `signalfd(2)` through FFI, for the signals Deno refuses to listen to (ILL, FPE, SEGV: reserved
 * for its fault handling). They can only be received this way when they are blocked in every
 * thread of the process, which is only possible from before Deno starts: bin/init blocks them
 * before it execs Deno in container mode, and every thread inherits that mask
 * (see docs/container.md#signals).
 *
 * @module
 */

import { bindLibc } from "./libc.ts";
import { sigset } from "./posix_spawn.ts";

const SYMBOLS = {
  signalfd: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // Blocks until a signal is pending: run on Deno's blocking-call thread pool.
  read: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

const { sym } = bindLibc(SYMBOLS);

const SFD_CLOEXEC = 0o2000000;
/** `sizeof(struct signalfd_siginfo)`; `ssi_signo` is its first (u32) field. */
const SIGINFO_BYTES = 128;

/**
 * Calls `onSignal` with each of `signals` sent to the process, for as long as the process runs.
 * The signals must be blocked in every thread, or they are delivered the usual way instead.
 *
 * @throws {Error} when signalfd() fails.
 */
export function watchBlockedSignals(
  signals: readonly number[],
  onSignal: (signal: number) => void,
): void {
  const fd = sym().signalfd(-1, sigset(signals), SFD_CLOEXEC);
  if (fd < 0) throw new Error("signalfd() failed");
  const buf = new Uint8Array(SIGINFO_BYTES * 8);
  const view = new DataView(buf.buffer);
  const loop = async () => {
    for (;;) {
      const got = Number(await sym().read(fd, buf, BigInt(buf.length)));
      if (got <= 0) continue; // EINTR
      for (let off = 0; off + SIGINFO_BYTES <= got; off += SIGINFO_BYTES) {
        onSignal(view.getUint32(off, true));
      }
    }
  };
  void loop();
}
