/**
 * The real {@linkcode Signals}: Deno's signal listeners.
 *
 * @module
 */

import type { Signals } from "./ports.ts";

/** The signals this process receives. */
export const denoSignals: Signals = {
  subscribe(signal, fn) {
    Deno.addSignalListener(signal, fn);
    return () => {
      try {
        Deno.removeSignalListener(signal, fn);
      } catch { /* already gone */ }
    };
  },
};
