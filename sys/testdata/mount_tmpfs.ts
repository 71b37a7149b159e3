// Run under `unshare --mount --propagation private`: mounts a tmpfs on the directory given,
// proves it is there, unmounts it, proves it is gone. Prints one line per step.
import { mount, MS, umount2 } from "../machine.ts";

const dir = Deno.args[0]!;
const mounted = () => Deno.readTextFileSync("/proc/self/mountinfo").includes(` ${dir} `);
mount("daybreak-test", dir, "tmpfs", MS.NOSUID | MS.NODEV, "size=1m,mode=0700");
Deno.writeTextFileSync(`${dir}/inside`, "x");
console.log(`mounted ${mounted()}`);
umount2(dir, 0);
console.log(`unmounted ${!mounted()} ${
  (() => {
    try {
      Deno.statSync(`${dir}/inside`);
      return "file-still-visible";
    } catch {
      return "file-gone";
    }
  })()
}`);
