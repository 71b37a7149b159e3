/**
 * examples/container/ as its Containerfile runs it (bin/init from the checkout instead of the
 * installed /sbin/init): PID 1 of a PID and mount namespace with private /run and /var/log, the
 * app as the main process, the three sidecars, `initctl` finding the socket by itself, and
 * `docker stop` (SIGTERM to PID 1) ending it with the app's status.
 */
import assert from "node:assert/strict";
import { shInNamespaces } from "./_harness.ts";

Deno.test("the container example runs, answers initctl, stops cleanly on SIGTERM", async () => {
  // The check runs once the log shipper follows the app's log and the app has logged two more
  // lines (it logs every 2 s), within a minute: a fixed pause was too short on a loaded machine.
  const ready = "i=0; until bin/initctl status log-shipper 2>/dev/null | grep -q running; do " +
    "i=$((i+1)); [ $i -gt 300 ] && break; sleep 0.2; done; " +
    "n=$(wc -l </var/log/app/app.log); " +
    'until [ "$(wc -l </var/log/app/app.log)" -ge $((n+2)) ]; do ' +
    "i=$((i+1)); [ $i -gt 600 ] && break; sleep 0.2; done";
  const script = "mount -t tmpfs none /var/log && mount -t tmpfs none /run && " +
    `(${ready}; bin/initctl list | sort; kill -TERM 1) & ` +
    "exec bin/init --container --confdir examples/container/sidecars --grace-period 2 -- " +
    "examples/container/app/server.sh";
  const out = await shInNamespaces(script);
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.match(stderr, /prepare: ready\n(.|\n)*app: started as pid/, "prepare ran first");
  assert.match(stdout, /app: request \d+ handled/, "the log shipper copied the app's log");
  assert.match(stdout, /log-shipper start\/running, process \d+/);
  assert.match(stdout, /prepare stop\/waiting/);
  assert.match(stderr, /app: SIGTERM, shutting down/);
  assert.match(stderr, /farewell: app ended: ok 0/);
});
