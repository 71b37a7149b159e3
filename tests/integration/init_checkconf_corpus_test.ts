/**
 * Every real job file of the shared corpus passes `bin/init-checkconf`, run
 * as scripts run it: from another directory, with a minimal environment.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const CORPUS = fromFileUrl(new URL("../../../shared/corpus/", import.meta.url));

/** The corpus lives beside the checkout, not in it: on a clone alone these tests are skipped. */
const ABSENT = !existsDir(CORPUS);
const ignore = ABSENT;
if (ABSENT) {
  Deno.test({ name: "corpus tests skipped: ../shared/corpus is absent", ignore: true, fn() {} });
}

function existsDir(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

async function corpusFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await corpusFiles(path));
    else if (e.isFile && e.name.endsWith(".conf")) out.push(path);
  }
  return out.sort();
}

async function runCheckconf(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(join(ROOT, "bin/init-checkconf"), {
    args,
    cwd: "/",
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "bin/init-checkconf accepts every corpus file with PATH=/usr/bin:/bin and no HOME",
  ignore,
}, async () => {
  const files = await corpusFiles(CORPUS);
  assert.ok(files.length >= 40, `corpus has ${files.length} files`);
  const r = await runCheckconf(files, { PATH: "/usr/bin:/bin" });
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), files.map((f) => `File ${f}: syntax ok`));
});

Deno.test(
  { name: "bin/init-checkconf --json gives one parseable line per corpus file", ignore },
  async () => {
    const files = await corpusFiles(CORPUS);
    const r = await runCheckconf(["--json", ...files], {
      PATH: "/usr/bin:/bin",
      HOME: "/nonexistent",
    });
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, files.length);
    assert.ok(lines.every((l) => l.ok === true && l.error === null));
    const rc = lines.find((l) => l.name === "rc");
    assert.equal(rc.fields.stop_on, "runlevel [!$RUNLEVEL]");
    assert.deepEqual(rc.fields.export, ["RUNLEVEL", "PREVLEVEL"]);
  },
);

Deno.test("bin/init-checkconf exits 1 with the error on stderr for a broken file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "broken.conf");
    await Deno.writeTextFile(file, "start on (a or b\nexec true\n");
    const r = await runCheckconf([file], { PATH: "/usr/bin:/bin" });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `ERROR: File ${file}: syntax invalid:\n${file}:3:1: Mismatched parentheses\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
