import assert from "node:assert/strict";
import { loadOrder, moduleDepends } from "./modules.ts";
import { VmSetupError } from "./_host.ts";

const modinfo = (...fields: string[]) =>
  new TextEncoder().encode(`\x7fELF junk\0${fields.join("\0")}\0more junk`);

Deno.test("moduleDepends() reads the depends= string of .modinfo", () => {
  const ko = modinfo("license=GPL", "depends=jbd2,mbcache,crc16", "name=ext4");
  assert.deepEqual(moduleDepends(ko), ["jbd2", "mbcache", "crc16"]);
});

Deno.test("moduleDepends() gives none for an empty or missing depends=", () => {
  assert.deepEqual(moduleDepends(modinfo("depends=", "name=crc16")), []);
  assert.deepEqual(moduleDepends(modinfo("name=odd")), []);
});

Deno.test("loadOrder() puts each module after those it depends on", () => {
  const deps = new Map<string, string[]>([
    ["virtio_blk", ["virtio", "virtio_ring"]],
    ["virtio_pci", ["virtio_ring", "virtio_pci_modern_dev", "virtio"]],
    ["ext4", ["jbd2", "mbcache", "crc16"]],
    ["virtio", []],
    ["virtio_ring", []],
    ["virtio_pci_modern_dev", []],
    ["jbd2", []],
    ["mbcache", []],
    ["crc16", []],
  ]);
  const order = loadOrder(deps);
  assert.equal(order.length, deps.size);
  for (const [name, needs] of deps) {
    for (const dep of needs) {
      assert.ok(order.indexOf(dep) < order.indexOf(name), `${dep} before ${name}: ${order}`);
    }
  }
});

Deno.test("loadOrder() refuses a dependency cycle", () => {
  const deps = new Map([["a", ["b"]], ["b", ["a"]]]);
  assert.throws(() => loadOrder(deps), VmSetupError);
});
