// Run under `unshare --mount --propagation private`: mounts a tmpfs on the directory given,
// proves it is there, unmounts it, proves it is gone. Prints one line per step.
import { mount, MS, umount2 } from "../machine.ts";

const dir = Deno.args[0]!;
const say = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
const mounted = () => Deno.readTextFileSync("/proc/self/mountinfo").includes(` ${dir} `);
const fileVisible = () => {
  try {
    Deno.statSync(`${dir}/inside`);
    return "file-still-visible";
  } catch {
    return "file-gone";
  }
};

mount("daybreak-test", dir, "tmpfs", MS.NOSUID | MS.NODEV, "size=1m,mode=0700");
Deno.writeTextFileSync(`${dir}/inside`, "x");
say(`mounted ${mounted()}`);
umount2(dir, 0);
say(`unmounted ${!mounted()} ${fileVisible()}`);
