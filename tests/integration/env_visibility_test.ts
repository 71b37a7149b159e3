/**
 * Who sees environment values (issue 14, item 6; `docs/rpc.md#who-sees-what`): root and the
 * owner see everything, byte for byte as before; another user (uid 65534 through `setpriv`)
 * sees variable names with every value but PATH's and TERM's hidden, no process text, and is
 * refused `get-env` of a hidden value — through `initctl` and through raw requests alike.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, startTestDaemon } from "../helpers/test_daemon.ts";

const DENO = join(ROOT, "tools/deno/node_modules/deno/deno");

Deno.test("environment values are shown to root and the owner only", async (t) => {
  await using d = await startTestDaemon(
    {
      "db.conf": "env DB_PASSWORD=s3cret-value\nenv PORT=5432\nexport PORT\n" +
        "exec sh -c 'sleep 60; echo s3cret-arg'\n",
    },
    { socketMode: 0o666, publicDir: true },
  );
  await Deno.chmod(d.jobPath("db"), 0o600);
  await d.ok("set-env", "SESSION_TOKEN=tok-123");
  await d.ok("start", "db");
  const nobody = (...args: string[]) => d.exec("initctl", args, { asNobody: true });

  await t.step("the owner sees every value", async () => {
    const shown = JSON.parse(await d.ok("show-config", "--json", "db"));
    assert.deepEqual(shown.jobs[0].fields.env, ["DB_PASSWORD=s3cret-value", "PORT=5432"]);
    assert.equal(shown.jobs[0].fields.processes.main.command, "sh -c 'sleep 60; echo s3cret-arg'");
    assert.equal(await d.ok("get-env", "SESSION_TOKEN"), "tok-123\n");
    assert.match(await d.ok("list-env"), /^SESSION_TOKEN=tok-123$/m);
  });

  await t.step("others see names, not values, through initctl", async () => {
    const shown = await nobody("show-config", "--json", "db");
    assert.equal(shown.code, 0, shown.stderr);
    assert.doesNotMatch(shown.stdout, /s3cret/);
    const job = JSON.parse(shown.stdout).jobs[0];
    assert.deepEqual(job.fields.env, ["DB_PASSWORD=<hidden>", "PORT=<hidden>"]);
    assert.deepEqual(job.fields.export, ["PORT"]);
    assert.equal(job.fields.processes.main.command, "<hidden>");

    const list = await nobody("list-env");
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^SESSION_TOKEN=<hidden>$/m);
    assert.match(list.stdout, /^PATH=\/usr\/bin:\/bin$/m);
    assert.doesNotMatch(list.stdout, /tok-123/);
    assert.deepEqual(await nobody("get-env", "SESSION_TOKEN"), {
      code: 1,
      stdout: "",
      stderr: "initctl: You do not have permission to read variable: SESSION_TOKEN\n",
    });
    assert.deepEqual(await nobody("get-env", "PATH"), {
      code: 0,
      stdout: "/usr/bin:/bin\n",
      stderr: "",
    });
  });

  await t.step("others see no values through raw requests, whatever `caller` says", async () => {
    const requests = [
      { method: "job.showConfig", params: {} },
      { method: "job.showConfig", params: { job: "db" } },
      { method: "env.list", params: {} },
      { method: "env.list", params: { caller: { job: "db", instance: "" } } },
      { method: "env.get", params: { name: "DB_PASSWORD", caller: { job: "db", instance: "" } } },
      { method: "job.status", params: { job: "db" } },
      { method: "job.list", params: {} },
      { method: "job.checkConfig", params: {} },
    ];
    const replies = await rawAsNobody(d.socket, requests);
    assert.equal(replies.length, requests.length, replies.join("\n"));
    for (const reply of replies) {
      assert.doesNotMatch(reply, /s3cret|tok-123/);
      assert.doesNotMatch(reply, /Internal error/);
    }
    assert.match(replies[3]!, /DB_PASSWORD=<hidden>/);
    assert.match(replies[4]!, /You do not have permission to read variable: DB_PASSWORD/);
  });
});

/** Sends each request on one connection as uid 65534 and returns the reply lines. */
async function rawAsNobody(socket: string, requests: object[]): Promise<string[]> {
  const lines = requests.map((r, i) => JSON.stringify({ jsonrpc: "2.0", id: i, ...r })).join("\n");
  const code = `
    const conn = await Deno.connect({ transport: "unix", path: ${JSON.stringify(socket)} });
    await conn.write(new TextEncoder().encode(${JSON.stringify(lines + "\n")}));
    let text = "";
    const buf = new Uint8Array(65536);
    const dec = new TextDecoder();
    while (text.split("\\n").length <= ${requests.length}) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
    conn.close();
    console.log(text.trim());
  `;
  const dir = await Deno.makeTempDir();
  await Deno.chmod(dir, 0o777);
  try {
    const out = await new Deno.Command("setpriv", {
      args: [
        "--reuid",
        "65534",
        "--regid",
        "65534",
        "--clear-groups",
        DENO,
        "eval",
        "--no-config",
        code,
      ],
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin", DENO_DIR: dir, HOME: dir, NO_COLOR: "1" },
      cwd: "/",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const byId = new Map<number, string>();
    for (const line of stdout.split("\n")) byId.set(JSON.parse(line).id, line);
    return requests.map((_, i) => byId.get(i) ?? "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
