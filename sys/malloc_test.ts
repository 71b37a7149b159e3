import assert from "node:assert/strict";
import { releaseFreeHeapPages } from "./malloc.ts";

const c = Deno.dlopen("libc.so.6", {
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
});

Deno.test("releaseFreeHeapPages() gives back free pages in the middle of the C heap", () => {
  // 32 MiB in blocks below malloc's mmap threshold, so they come from the arena; the last one
  // stays allocated, so that free() cannot give the rest back itself by trimming the top.
  const blocks = Array.from({ length: 512 }, () => c.symbols.malloc(64n * 1024n));
  assert.ok(blocks.every((p) => p !== null));
  for (const p of blocks.slice(0, -1)) c.symbols.free(p);
  try {
    assert.equal(releaseFreeHeapPages(), true);
  } finally {
    c.symbols.free(blocks.at(-1)!);
  }
});
