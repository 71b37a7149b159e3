// Deno and the daybreak tree in the guest: what later PID-1 scenarios build on. Deno runs here as
// a child of the scenario shell (not as PID 1), with FFI, and from the copied source tree.
import { assertVmPassed, prepareVmHost, runVmScenario } from "./scenario.ts";

const host = await prepareVmHost();
const skip = host.ready ? "" : ` (skipped: ${host.reason})`;

// Compares libc's view of the process with Deno's and with the shell that started it.
const FFI_PROBE = `const libc = Deno.dlopen("libc.so.6", {
  getpid: { parameters: [], result: "i32" },
  getppid: { parameters: [], result: "i32" },
});
const pid = libc.symbols.getpid();
const ppid = libc.symbols.getppid();
const shell = Number(Deno.args[0]);
const facts = \`pid=\${pid} Deno.pid=\${Deno.pid} ppid=\${ppid} shell=\${shell}\`;
const ok = pid === Deno.pid && pid !== 1 && ppid === shell;
console.log(ok ? "VM-RESULT: PASS deno-ffi" : \`VM-RESULT: FAIL deno-ffi: \${facts}\`);
`;

// Resolved through /daybreak/deno.json's import map from the copied npm cache, offline.
const NPM_PROBE = `import { z } from "zod";
console.log("NPM-PROBE", z.object({ n: z.number() }).parse({ n: 7 }).n);
`;

const GOOD_JOB = 'description "vm probe"\nstart on runlevel [2345]\nexec /bin/sleep 60\n';

const SCRIPT = String.raw`. /vmlib.sh
ver=$(deno --version | head -n1)
case "$ver" in "deno 2."*) vm_pass deno-version ;; *) vm_fail deno-version "$ver" ;; esac
deno run --allow-ffi /probe/ffi.ts $$
out=$(deno run /probe/ffi.ts $$ 2>&1); rc=$?
case "$rc $out" in
  0*) vm_fail ffi-needs-permission "ran without --allow-ffi: $out" ;;
  *"Requires ffi access"*) vm_pass ffi-needs-permission ;;
  *) vm_fail ffi-needs-permission "rc=$rc $out" ;;
esac
out=$(DENO_DIR=/daybreak/.deno_dir deno run --cached-only --config /daybreak/deno.json \
  /daybreak/vm_npm_probe.ts 2>&1)
vm_expect npm-offline "NPM-PROBE 7" "$out"
out=$(/daybreak/bin/init-checkconf /etc/init/vm-probe.conf 2>&1); rc=$?
vm_expect daybreak-launcher "0 File /etc/init/vm-probe.conf: syntax ok" "$rc $out"
`;

Deno.test({
  name: `deno runs in the guest as a child with FFI and the daybreak tree${skip}`,
  ignore: !host.ready,
  async fn() {
    const result = await runVmScenario({
      name: "guest-deno",
      withDaybreak: true,
      timeoutMs: 45_000,
      script: SCRIPT,
      files: {
        "/probe/ffi.ts": { text: FFI_PROBE },
        "/daybreak/vm_npm_probe.ts": { text: NPM_PROBE },
        "/etc/init/vm-probe.conf": { text: GOOD_JOB },
      },
    });
    assertVmPassed(result, [
      "deno-version",
      "deno-ffi",
      "ffi-needs-permission",
      "npm-offline",
      "daybreak-launcher",
    ]);
  },
});
