// AppArmor enforcement in a real kernel (the host kernel has no AppArmor,
// docs/platform.md#security-tools): a profile is loaded the way Upstart's `apparmor load` does
// (`/sbin/apparmor_parser -r -W PATH`, docs/job-files.md#process-setup) and a process switched into
// it with aa-exec is confined.
import assert from "node:assert/strict";
import { assertVmPassed, prepareVmHost, runVmScenario } from "./scenario.ts";

const host = await prepareVmHost();
const skip = host.ready ? "" : ` (skipped: ${host.reason})`;

const PROFILE = "daybreak-probe";

// The confined cat needs its binary, the console for its inherited stdout/stderr, and
// /proc/<pid>/attr/current to report its own label. /secret-denied is deliberately absent.
const profile = (extra: string) =>
  `profile ${PROFILE} {
  /bin/busybox mrix,
  /dev/console rw,
  /dev/null rw,
  owner /proc/*/attr/current r,
  /secret-allowed r,
${extra}}
`;

// Line 3 has a rule without its permissions; the parser must refuse the whole file.
const BROKEN = `profile daybreak-broken {
  /bin/busybox mrix,
  /secret-allowed ;
}
`;

const SCRIPT = String.raw`. /vmlib.sh
P=/etc/apparmor.d/${PROFILE}
aa() { aa-exec -p ${PROFILE} -- "$@"; }

vm_expect apparmor-enabled Y "$(head -c1 /sys/module/apparmor/parameters/enabled)"
vm_check parser-load /sbin/apparmor_parser -r -W "$P"
if grep -qx "${PROFILE} (enforce)" /sys/kernel/security/apparmor/profiles; then
  vm_pass profile-listed
else
  vm_fail profile-listed "$(cat /sys/kernel/security/apparmor/profiles)"
fi
# -W writes the compiled policy under the cache directory, named after the profile file.
if ls /var/cache/apparmor/*/${PROFILE} >/dev/null 2>&1; then
  vm_pass cache-written
else
  vm_fail cache-written "$(find /var/cache/apparmor)"
fi
vm_expect attr-current "${PROFILE} (enforce)" "$(aa cat /proc/self/attr/current)"
vm_expect unconfined-attr unconfined "$(cat /proc/self/attr/current)"
vm_expect allowed-read allowed-text "$(aa cat /secret-allowed)"
vm_expect unconfined-read denied-text "$(cat /secret-denied)"
out=$(aa cat /secret-denied 2>&1); rc=$?
echo "CONFINED-READ: rc=$rc $out"
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "Permission denied"; then
  vm_pass denied-read
else
  vm_fail denied-read "rc=$rc $out"
fi

out=$(/sbin/apparmor_parser -r -W /etc/apparmor.d/daybreak-broken 2>&1); rc=$?
echo "PARSER-ERROR: rc=$rc $out"
if [ "$rc" -ne 0 ] && ! grep -q daybreak-broken /sys/kernel/security/apparmor/profiles; then
  vm_pass broken-rejected
else
  vm_fail broken-rejected "rc=$rc, profiles: $(cat /sys/kernel/security/apparmor/profiles)"
fi

# -r replaces the loaded profile: once the new version allows the file, the read succeeds.
cp /etc/apparmor.d/${PROFILE}.v2 "$P"
vm_check parser-replace /sbin/apparmor_parser -r -W "$P"
vm_expect replaced-read denied-text "$(aa cat /secret-denied)"
`;

Deno.test({
  name: `apparmor_parser -r -W loads a profile that aa-exec enforces in the guest${skip}`,
  ignore: !host.ready,
  async fn() {
    const result = await runVmScenario({
      name: "apparmor",
      withAppArmor: true,
      timeoutMs: 30_000,
      script: SCRIPT,
      files: {
        [`/etc/apparmor.d/${PROFILE}`]: { text: profile("") },
        [`/etc/apparmor.d/${PROFILE}.v2`]: { text: profile("  /secret-denied r,\n") },
        "/etc/apparmor.d/daybreak-broken": { text: BROKEN },
        "/secret-allowed": { text: "allowed-text\n", mode: 0o644 },
        "/secret-denied": { text: "denied-text\n", mode: 0o644 },
      },
    });
    assertVmPassed(result, [
      "apparmor-enabled",
      "parser-load",
      "profile-listed",
      "cache-written",
      "attr-current",
      "unconfined-attr",
      "allowed-read",
      "unconfined-read",
      "denied-read",
      "broken-rejected",
      "parser-replace",
      "replaced-read",
    ]);
    // The exact texts, as a user would see them: strerror(EACCES) and the parser's own error.
    assert.match(
      result.serial,
      /^CONFINED-READ: rc=1 cat: can't open '\/secret-denied': Permission denied$/m,
    );
    assert.match(
      result.serial,
      /^PARSER-ERROR: rc=1 AppArmor parser error for \/etc\/apparmor\.d\/daybreak-broken in profile \/etc\/apparmor\.d\/daybreak-broken at line 3: Lexer found unexpected character: ';'.*$/m,
    );
    assert.ok(result.bootMs < 30_000, `boot took ${result.bootMs} ms`);
  },
});
