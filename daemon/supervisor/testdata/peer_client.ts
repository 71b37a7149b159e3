/** Connects to the unix socket in argv[0], sends one byte, and waits for one byte back. */
const conn = await Deno.connect({ transport: "unix", path: Deno.args[0]! });
await conn.write(new Uint8Array([1]));
await conn.read(new Uint8Array(1));
conn.close();
