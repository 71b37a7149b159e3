// Event matching as the engine sees it (see docs/events.md#matching, docs/events.md#evaluation,
// docs/behaviour.md#environment).
import assert from "node:assert/strict";
import { EngineHarness } from "../../tests/fakes/engine_harness.ts";

const envOf = (h: EngineHarness, job: string, instance?: string) =>
  h.spawner.find(job, "main", instance)?.env ?? [];

Deno.test("an event in both stop on and start on stops the instance and starts it again", () => {
  const h = new EngineHarness({ rc: "start on runlevel\nstop on runlevel\nexec rc" });
  h.emit("runlevel", ["RUNLEVEL=2"]);
  const first = h.pid("rc");
  h.clear();
  h.emit("runlevel", ["RUNLEVEL=3"]);
  assert.deepEqual(h.events, [
    "runlevel RUNLEVEL=3",
    "stopping JOB=rc INSTANCE= RESULT=ok",
    "starting JOB=rc INSTANCE=",
    "started JOB=rc INSTANCE=",
  ]);
  assert.notEqual(h.pid("rc"), first);
  assert.ok(envOf(h, "rc").includes("RUNLEVEL=3"));
});

Deno.test("and/or bind equally and left to right", () => {
  const h = new EngineHarness({ j: "start on a or b and c\nexec d" });
  h.emit("a");
  assert.equal(h.state("j"), "stop/waiting");
  h.emit("c");
  assert.equal(h.state("j"), "start/running");
  assert.ok(envOf(h, "j").includes("UPSTART_EVENTS=a c"));
});

Deno.test("stop on expands $VAR with the instance's own environment", () => {
  const h = new EngineHarness({
    net: "instance $IFACE\nstart on net-up\nstop on net-down IFACE=$IFACE\nexec dhclient",
  });
  h.emit("net-up", ["IFACE=eth0"]);
  h.emit("net-up", ["IFACE=wlan0"]);
  h.clear();
  h.emit("net-down", ["IFACE=eth0"]);
  assert.equal(h.state("net", ["IFACE=wlan0"]), "start/running");
  assert.deepEqual(h.engine.instancesOf("net").map((i) => i.name), ["wlan0"]);
  assert.deepEqual(h.events, [
    "net-down IFACE=eth0",
    "stopping JOB=net INSTANCE=eth0 RESULT=ok",
    "stopped JOB=net INSTANCE=eth0 RESULT=ok",
  ]);
});

Deno.test("rc's stop on runlevel [!$RUNLEVEL] stops only on another runlevel", () => {
  const h = new EngineHarness({
    rc:
      "start on runlevel [0123456]\nstop on runlevel [!$RUNLEVEL]\nexport RUNLEVEL\ntask\nexec rc",
  });
  h.emit("runlevel", ["RUNLEVEL=2", "PREVLEVEL=N"]);
  const pid = h.pid("rc");
  h.emit("runlevel", ["RUNLEVEL=2", "PREVLEVEL=2"]);
  assert.equal(h.pid("rc"), pid);
  h.clear();
  h.emit("runlevel", ["RUNLEVEL=6", "PREVLEVEL=2"]);
  assert.deepEqual(h.events.slice(0, 3), [
    "runlevel RUNLEVEL=6 PREVLEVEL=2",
    "stopping JOB=rc INSTANCE= RESULT=ok RUNLEVEL=2",
    "starting JOB=rc INSTANCE= RUNLEVEL=6",
  ]);
});

Deno.test("$VAR in start on never matches; ${VAR:-default} does", () => {
  const h = new EngineHarness({
    plain: "env X=1\nstart on foo X=$X\nexec d",
    dflt: "start on foo X=${X:-1}\nexec d",
  });
  h.emit("foo", ["X=1"]);
  assert.equal(h.state("plain"), "stop/waiting");
  assert.equal(h.state("dflt"), "start/running");
});

Deno.test("K!=V needs the variable to exist and to differ", () => {
  const h = new EngineHarness({ net: "start on net-device-up IFACE!=lo\ntask\nexec setup" });
  h.emit("net-device-up", ["IFACE=lo"]);
  h.emit("net-device-up", []);
  assert.equal(h.state("net"), "stop/waiting");
  h.emit("net-device-up", ["IFACE=eth0"]);
  assert.equal(h.state("net"), "start/running");
});

Deno.test("values are fnmatch globs: * crosses / and [...] is a class", () => {
  const h = new EngineHarness({
    star: "start on file FILE=/etc/*.conf\ntask\nexec a",
    cls: "start on runlevel [2345]\ntask\nexec b",
  });
  h.emit("file", ["FILE=/etc/sub/x.conf"]);
  h.emit("runlevel", ["RUNLEVEL=1"]);
  assert.equal(h.state("star"), "start/running");
  assert.equal(h.state("cls"), "stop/waiting");
  h.emit("runlevel", ["RUNLEVEL=5"]);
  assert.equal(h.state("cls"), "start/running");
});

Deno.test("positional arguments match variables by position, whatever their names", () => {
  const h = new EngineHarness({ j: "start on runlevel [2345]\ntask\nexec b" });
  h.emit("runlevel", ["PREVLEVEL=N", "RUNLEVEL=2"]);
  assert.equal(h.state("j"), "stop/waiting");
  h.emit("runlevel", ["PREVLEVEL=3", "RUNLEVEL=N"]);
  assert.equal(h.state("j"), "start/running");
});

Deno.test("the start environment: defaults, class env, env KEY from init, event vars", () => {
  const h = new EngineHarness(
    { j: "env OVER=default\nenv KEPT=yes\nenv HOME\nenv ABSENT\nstart on foo\nexec d" },
    { engine: { initEnv: ["PATH=/sbin:/bin", "TERM=linux", "HOME=/root"] } },
  );
  h.emit("foo", ["OVER=fromevent", "A=1"]);
  assert.deepEqual(envOf(h, "j"), [
    "PATH=/sbin:/bin",
    "TERM=linux",
    "OVER=fromevent",
    "KEPT=yes",
    "HOME=/root",
    "A=1",
    "UPSTART_EVENTS=foo",
    "UPSTART_JOB=j",
    "UPSTART_INSTANCE=",
  ]);
});

Deno.test("events of a false sub-branch give no environment and are released", () => {
  const h = new EngineHarness({ j: "start on (x and y) or z\nexec d" });
  h.emit("x", ["FROM_X=1"], "wx");
  assert.equal(h.notifications.has("wx"), false);
  h.emit("z", ["FROM_Z=1"]);
  const env = envOf(h, "j");
  assert.ok(env.includes("FROM_Z=1") && env.includes("UPSTART_EVENTS=z"));
  assert.ok(!env.includes("FROM_X=1"));
  assert.deepEqual(h.notifications.get("wx"), { ok: true, status: null });
});

Deno.test("a trigger resets the whole tree, so A and (B or C) needs A again", () => {
  const h = new EngineHarness({ j: "start on a and (b or c)\nexec d" });
  h.emit("a");
  h.emit("b");
  assert.equal(h.state("j"), "start/running");
  h.stop("j");
  h.emit("c");
  assert.equal(h.state("j"), "stop/waiting");
  h.emit("a");
  assert.equal(h.state("j"), "start/running");
});

Deno.test("an instance name that cannot be expanded is logged and the tree reset", () => {
  const h = new EngineHarness({ inst: "instance $NAME\nstart on a and b\nexec d" });
  h.emit("a", [], "wa");
  h.emit("b");
  assert.ok(h.messages("warn").includes("Failed to obtain inst instance: Unknown parameter: NAME"));
  assert.deepEqual(h.notifications.get("wa"), { ok: true, status: null });
  assert.deepEqual(h.engine.instancesOf("inst"), []);
});

Deno.test("two event starts naming one instance start it once", () => {
  const h = new EngineHarness({ inst: "instance $N\nstart on go\nexec d" });
  h.emit("go", ["N=a"]);
  h.emit("go", ["N=a"]);
  h.emit("go", ["N=b"]);
  assert.deepEqual(h.engine.instancesOf("inst").map((i) => i.name), ["a", "b"]);
  assert.equal(h.events.filter((e) => e.startsWith("starting ")).length, 2);
});

Deno.test("the stop environment reaches pre-stop and post-stop only", () => {
  const h = new EngineHarness({
    stopper: "start on begin\nstop on halt-it\nexec d\npre-stop exec ps\npost-stop exec pst",
  });
  h.emit("begin", ["A=1"]);
  h.emit("halt-it", ["REASON=x"]);
  const pre = h.spawner.find("stopper", "pre-stop")?.env ?? [];
  assert.deepEqual(pre, [
    "A=1",
    "UPSTART_EVENTS=begin",
    "REASON=x",
    "UPSTART_STOP_EVENTS=halt-it",
    "UPSTART_JOB=stopper",
    "UPSTART_INSTANCE=",
  ]);
  assert.ok(!h.spawner.spawns.find((p) => p.process === "main")?.env.includes("REASON=x"));
  h.exit("stopper", "pre-stop");
  const post = h.spawner.find("stopper", "post-stop")?.env ?? [];
  assert.ok(post.includes("REASON=x") && post.includes("UPSTART_STOP_EVENTS=halt-it"));
});
