import assert from "node:assert/strict";
import { Admission } from "./admission.ts";

const peer = (uid: number) => ({ pid: 1000 + uid, uid, gid: uid });

function admitted(a: ReturnType<Admission["admit"]>): () => void {
  assert.ok("release" in a, "refused" in a ? a.refused : "");
  return a.release;
}

Deno.test("one uid gets at most its share; others and root still get in", () => {
  const a = new Admission({
    maxConnections: 10,
    maxPerUid: 3,
    reserved: 2,
    privileged: (uid) => uid === 0 || uid === 1000,
  });
  const nobody = [1, 2, 3].map(() => admitted(a.admit(peer(65534))));
  assert.match((a.admit(peer(65534)) as { refused: string }).refused, /uid 65534/);
  admitted(a.admit(peer(65533)));
  admitted(a.admit(null));
  // Released connections count no more.
  nobody[0]!();
  nobody[0]!();
  admitted(a.admit(peer(65534)));
  assert.equal(a.total, 5);
});

Deno.test("the reserve is kept for root and the owner", () => {
  const a = new Admission({
    maxConnections: 6,
    maxPerUid: 10,
    reserved: 2,
    privileged: (uid) => uid === 0 || uid === 1000,
  });
  for (let i = 0; i < 4; i++) admitted(a.admit(peer(100 + i)));
  assert.match(
    (a.admit(peer(200)) as { refused: string }).refused,
    /kept for root and the owner/,
  );
  // Unknown peers are never privileged.
  assert.ok("refused" in a.admit(null));
  admitted(a.admit(peer(0)));
  const owner = admitted(a.admit(peer(1000)));
  assert.equal((a.admit(peer(0)) as { refused: string }).refused, "too many clients");
  owner();
  admitted(a.admit(peer(0)));
});
