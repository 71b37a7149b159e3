// sys/path.ts gives node:path's results: compared with it on generated paths.
import assert from "node:assert/strict";
import { posix as node } from "node:path";
import fc from "fast-check";
import { posix } from "./path.ts";

const segment = fc.oneof(
  fc.constantFrom("", ".", "..", "...", "a", "b.c", ".x", "..y", "z.."),
  fc.string({ unit: fc.constantFrom("a", ".", "/"), maxLength: 6 }),
);
const path = fc.array(segment, { maxLength: 6 }).map((s) => s.join("/"));

Deno.test("posix.join and normalize give node:path's results", () => {
  fc.assert(
    fc.property(fc.array(path, { maxLength: 4 }), (parts) => {
      assert.equal(posix.join(...parts), node.join(...parts));
      for (const p of parts) {
        assert.equal(posix.normalize(p), node.normalize(p));
        assert.equal(posix.isAbsolute(p), node.isAbsolute(p));
      }
    }),
    { numRuns: 5000 },
  );
});

Deno.test("posix.join on the paths the daemon joins", () => {
  for (
    const parts of [
      ["/var/log/upstart", "web.log"],
      ["/srv/root", "/etc/passwd"],
      ["/", "etc/passwd"],
      ["/home/u", "../v/./bin"],
      ["/", "/"],
      [],
      ["", ""],
      ["a/", "b/"],
    ]
  ) {
    assert.equal(posix.join(...parts), node.join(...parts), parts.join(" "));
  }
});
