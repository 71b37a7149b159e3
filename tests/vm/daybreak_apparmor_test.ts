// `apparmor load` and `apparmor switch` through the daybreak daemon, in a kernel that enforces
// AppArmor (the host's has none, docs/platform.md#security-tools): `bin/init --user` runs as root
// in the guest and jobs are started with `bin/initctl`. A job is confined from its first
// instruction (a read its profile denies fails with EACCES, `/proc/PID/attr/current` names the
// profile), also after dropping to another user with no-new-privileges; a profile the parser
// refuses fails the job with the parser's own message, and switching to a profile that is not
// loaded fails the spawn.
//
// Every deno start costs about 1.5 s under TCG: one daemon and six initctl calls.
import assert from "node:assert/strict";
import { assertVmPassed, prepareVmHost, runVmScenario } from "./scenario.ts";

const host = await prepareVmHost();
const skip = host.ready ? "" : ` (skipped: ${host.reason})`;

const PROFILE = "daybreak-job";

// What the jobs' shells need: busybox for sh, cat, id and sleep, /dev/null for stdin, their
// own label, the allowed secret and files in /tmp. Not /secret-denied.
const JOB_PROFILE = `profile ${PROFILE} {
  /bin/busybox mrix,
  /dev/null rw,
  owner /proc/*/attr/current r,
  /secret-allowed r,
  /tmp/* w,
}
`;

// Line 3 has a rule without its permissions: apparmor_parser refuses the whole file.
const BROKEN = `profile daybreak-broken {
  /bin/busybox mrix,
  /secret-allowed ;
}
`;

const CONFINED_JOB = `apparmor load /etc/apparmor.d/${PROFILE}
apparmor switch ${PROFILE}
exec sh -c 'cat /proc/self/attr/current > /tmp/attr; cat /secret-denied > /tmp/denied 2>&1; \
cat /secret-allowed > /tmp/allowed; sleep 60'
`;

// The switch is the last step before the program, after setpriv dropped root and set
// no-new-privileges: an unconfined process may still confine itself.
const DROPPED_JOB = `apparmor switch \${PREFIX}-job
env PREFIX=daybreak
setuid nobody
no-new-privileges
exec sh -c '{ cat /proc/self/attr/current; id -u; cat /secret-denied 2>&1; } > /tmp/dropped; \
sleep 60'
`;

const BROKEN_JOB = `apparmor load /etc/apparmor.d/daybreak-broken
exec sleep 60
`;

const MISSING_JOB = `apparmor switch daybreak-missing
exec sleep 60
`;

const SCRIPT = String.raw`. /vmlib.sh
export XDG_RUNTIME_DIR=/run/user/0 XDG_CACHE_HOME=/tmp/cache
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
mkdir -p "$XDG_CACHE_HOME"
ctl() { /daybreak/bin/initctl --socket /tmp/s.sock "$@" 2>&1; }
# wait_for PATH: up to 15 s for a file a job writes.
wait_for() {
  i=0
  while [ ! -s "$1" ] && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
}
log() { sed 's/^/DAEMON-LOG: /' /tmp/daemon.log; }

/daybreak/bin/init --user --confdir /jobs --socket /tmp/s.sock >/tmp/daemon.log 2>&1 &
i=0
while [ ! -S /tmp/s.sock ] && [ "$i" -lt 300 ] && kill -0 $! 2>/dev/null; do
  sleep 0.1
  i=$((i + 1))
done
if [ ! -S /tmp/s.sock ]; then
  vm_fail daemon-up "no socket after $i tries: $(cat /tmp/daemon.log)"
  exit 1
fi
vm_pass daemon-up

out=$(ctl start confined); rc=$?
echo "START-CONFINED: rc=$rc $out"
status=$(ctl status confined)
pid=$(echo "$status" | sed -n 's/^confined start\/running, process \([0-9]*\)$/\1/p')
if [ "$rc" -eq 0 ] && [ -n "$pid" ]; then
  vm_pass confined-started
  vm_expect confined-attr-current "${PROFILE} (enforce)" "$(cat /proc/$pid/attr/current)"
else
  vm_fail confined-started "rc=$rc $out / $status"
fi
wait_for /tmp/allowed
vm_expect confined-self-attr "${PROFILE} (enforce)" "$(cat /tmp/attr)"
vm_expect confined-allowed-read allowed-text "$(cat /tmp/allowed)"
echo "CONFINED-DENIED: $(cat /tmp/denied)"
if grep -q "Permission denied" /tmp/denied; then
  vm_pass confined-denied-read
else
  vm_fail confined-denied-read "$(cat /tmp/denied)"
fi
vm_expect unconfined-read denied-text "$(cat /secret-denied)"

out=$(ctl start dropped); rc=$?
echo "START-DROPPED: rc=$rc $out"
wait_for /tmp/dropped
echo "DROPPED: $(tr '\n' '|' < /tmp/dropped)"
vm_expect dropped-confined "${PROFILE} (enforce)|65534|" "$(head -n2 /tmp/dropped | tr '\n' '|')"
if grep -q "Permission denied" /tmp/dropped; then
  vm_pass dropped-denied-read
else
  vm_fail dropped-denied-read "$(cat /tmp/dropped)"
fi

out=$(ctl start broken); rc=$?
vm_expect broken-fails "1 initctl: Job failed to start" "$rc $out"
if grep -q "Failed to spawn broken security process: AppArmor parser error for" /tmp/daemon.log; then
  vm_pass broken-parser-message
else
  vm_fail broken-parser-message "$(cat /tmp/daemon.log)"
fi
out=$(ctl start missing); rc=$?
vm_expect missing-fails "1 initctl: Job failed to start" "$rc $out"
want="Failed to spawn missing main process: unable to switch to apparmor profile daybreak-missing"
if grep -q "$want: no such profile is loaded" /tmp/daemon.log; then
  vm_pass missing-message
else
  vm_fail missing-message "$(cat /tmp/daemon.log)"
fi
log
`;

Deno.test({
  name: `daybreak confines a job with apparmor load and switch in the guest${skip}`,
  ignore: !host.ready,
  async fn() {
    const result = await runVmScenario({
      name: "daybreak-apparmor",
      withDaybreak: true,
      withAppArmor: true,
      // TCG on a loaded machine: a boot that takes 15 s alone took 44 s beside other tests.
      timeoutMs: 240_000,
      script: SCRIPT,
      files: {
        [`/etc/apparmor.d/${PROFILE}`]: { text: JOB_PROFILE },
        "/etc/apparmor.d/daybreak-broken": { text: BROKEN },
        "/jobs/confined.conf": { text: CONFINED_JOB },
        "/jobs/dropped.conf": { text: DROPPED_JOB },
        "/jobs/broken.conf": { text: BROKEN_JOB },
        "/jobs/missing.conf": { text: MISSING_JOB },
        "/secret-allowed": { text: "allowed-text\n", mode: 0o644 },
        "/secret-denied": { text: "denied-text\n", mode: 0o644 },
        // busybox's setpriv has no --reuid: the daemon needs util-linux's for setuid.
        "/usr/bin/setpriv": { hostPath: "/usr/bin/setpriv" },
      },
    });
    assertVmPassed(result, [
      "daemon-up",
      "confined-started",
      "confined-attr-current",
      "confined-self-attr",
      "confined-allowed-read",
      "confined-denied-read",
      "unconfined-read",
      "dropped-confined",
      "dropped-denied-read",
      "broken-fails",
      "broken-parser-message",
      "missing-fails",
      "missing-message",
    ]);
    // The exact texts a user sees: strerror(EACCES) from the confined cat, and the parser's
    // error as the reason the job failed.
    assert.match(
      result.serial,
      /^CONFINED-DENIED: cat: can't open '\/secret-denied': Permission denied$/m,
    );
    assert.match(
      result.serial,
      /^DAEMON-LOG: .*Failed to spawn broken security process: AppArmor parser error for \/etc\/apparmor\.d\/daybreak-broken in profile \/etc\/apparmor\.d\/daybreak-broken at line 3: Lexer found unexpected character: ';'/m,
    );
    // How long the boot took is a benchmark's figure (bench/boot_bench.ts), not a test's.
  },
});
