import assert from "node:assert/strict";
import { join } from "node:path";
import { CpioEntryError, encodeCpio } from "./cpio.ts";

const encoder = new TextEncoder();

async function hasCpio(): Promise<boolean> {
  try {
    return (await new Deno.Command("cpio", { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

const cpioMissing = !(await hasCpio());

async function writeArchive(dir: string, chunks: Iterable<Uint8Array>): Promise<string> {
  const path = join(dir, "test.cpio");
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (const chunk of chunks) await file.write(chunk).then((n) => assert.equal(n, chunk.length));
  return path;
}

async function cpio(args: string[], cwd: string, archive: string): Promise<string> {
  const child = new Deno.Command("sh", {
    args: ["-c", `cpio "$@" < "${archive}"`, "cpio", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `cpio ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "encodeCpio() writes an archive GNU cpio lists and extracts byte for byte",
  ignore: cpioMissing,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "daybreak-cpio-" });
    try {
      // Lengths 0..5 cover every padding case of the name and data fields.
      const files = ["", "a", "ab", "abc", "abcd", "abcde"].map((text, i) => ({
        path: `/d/sub/f${i}${"x".repeat(i)}`,
        text,
      }));
      const archive = await writeArchive(dir, [
        ...encodeCpio([
          { kind: "dir", path: "/d", mode: 0o755 },
          { kind: "dir", path: "/d/sub", mode: 0o700 },
          ...files.map((f) => ({
            kind: "file" as const,
            path: f.path,
            mode: 0o640,
            data: encoder.encode(f.text),
          })),
          {
            kind: "file",
            path: "/d/run",
            mode: 0o755,
            mtime: 1_700_000_000,
            data: encoder.encode("#!/bin/sh\n"),
          },
          { kind: "symlink", path: "/d/link", target: "sub/f3xxx" },
        ]),
      ]);
      const listing = (await cpio(["-it", "--quiet"], dir, archive)).trim().split("\n");
      assert.deepEqual(listing, [
        "d",
        "d/sub",
        ...files.map((f) => f.path.slice(1)),
        "d/run",
        "d/link",
      ]);
      const out = join(dir, "out");
      await Deno.mkdir(out);
      await cpio(["-idm", "--quiet"], out, archive);
      for (const f of files) {
        assert.equal(await Deno.readTextFile(join(out, f.path)), f.text);
        assert.equal((await Deno.stat(join(out, f.path))).mode! & 0o7777, 0o640);
      }
      const run = await Deno.stat(join(out, "d/run"));
      assert.equal(run.mode! & 0o7777, 0o755);
      assert.equal(run.mtime?.getTime(), 1_700_000_000_000);
      assert.equal((await Deno.stat(join(out, "d/sub"))).mode! & 0o7777, 0o700);
      assert.equal(await Deno.readLink(join(out, "d/link")), "sub/f3xxx");
      assert.equal(await Deno.readTextFile(join(out, "d/link")), "abc");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("encodeCpio() ends an empty archive with the TRAILER!!! record only", () => {
  const chunks = [...encodeCpio([])];
  assert.equal(chunks.length, 1);
  const text = new TextDecoder().decode(chunks[0]);
  assert.ok(text.startsWith("070701"));
  assert.ok(text.includes("TRAILER!!!\0"));
  assert.equal(chunks[0]!.length % 4, 0);
});

Deno.test("encodeCpio() rejects a path with a .. component", () => {
  assert.throws(
    () => [...encodeCpio([{ kind: "dir", path: "/a/../b", mode: 0o755 }])],
    (e: unknown) => e instanceof CpioEntryError && e.path === "/a/../b",
  );
});
