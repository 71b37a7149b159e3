import assert from "node:assert/strict";
import type { ExitStatus, ProcessSpawner } from "../../daemon/ports.ts";
import type { FdSpawner } from "../../daemon/supervisor/fd_spawner.ts";
import { FakeSpawner } from "./fake_spawner.ts";
import { spawnRequest } from "./spawn_request.ts";

// Both implement the port, adopt included (a compile-time check).
type WithAdopt = ProcessSpawner & Required<Pick<ProcessSpawner, "adopt">>;
const _ports: [WithAdopt, WithAdopt] = [
  new FakeSpawner(),
  null as unknown as FdSpawner,
];

Deno.test("FakeSpawner.adopt takes over a pid whose exit the test then drives", () => {
  const spawner = new FakeSpawner({ adoptRequest: spawnRequest({ job: "kept" }) });
  const adopted = spawner.adopt(4242, { logFd: 9, logPath: "/var/log/upstart/kept.log" })!;
  assert.equal(adopted.pid, 4242);
  assert.equal(spawner.find("kept")?.pid, 4242);
  let status: ExitStatus | null | undefined;
  adopted.exited.then((s) => status = s);
  spawner.killBySignal(4242, "TERM");
  assert.deepEqual(status, { signal: 15 });
  assert.deepEqual(spawner.adopted, [{
    pid: 4242,
    options: { logFd: 9, logPath: "/var/log/upstart/kept.log" },
  }]);
  const p = spawner.spawn(spawnRequest());
  spawner.exit(p.pid, 0);
  assert.equal(spawner.adopt(p.pid), null, "an ended process cannot be adopted");
});
