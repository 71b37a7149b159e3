/**
 * The layering rules of the tree as a `deno lint` plugin (registered in `deno.json`, so
 * `deno lint`, `deno task ok` and CI run it). The layers point down: `daemon/` uses
 * `security/`, which uses `sys/` and `parser/`; clients share only `protocol/` with the daemon.
 *
 * - `only-sys-dlopen`: only files under `sys/` call `Deno.dlopen` (every system call goes
 *   through `sys/`);
 * - `no-deno-in-pure`: no `Deno.*` in `parser/` or `daemon/engine/` (their tests excepted: they
 *   are driven by `Deno.test` and read fixtures);
 * - `client-imports`: `cli/` and `compat_sysv/` (one client layer) import only `protocol/`,
 *   `parser/`, `sys/` and each other, plus `npm:`/`node:` specifiers, import-map names and the root `deno.json`;
 * - `no-upward-imports`: nothing under `sys/` or `security/` imports from `daemon/`, and `sys/`
 *   imports nothing from `security/`.
 *
 * Paths are taken relative to the repository root, found from this file's own location.
 *
 * @module
 */

/** The repository root as a `file:` URL path, with a trailing slash. */
const ROOT: string = new URL("../../", import.meta.url).pathname;

/** `file` relative to the repository root, or `null` when it lies outside. */
function repoPath(file: string): string | null {
  const path = file.startsWith("file:")
    ? new URL(file).pathname
    : new URL(`file://${file}`).pathname;
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : null;
}

/** The repository path an import specifier of `file` points at; `null` for a non-file one. */
function importTarget(file: string, specifier: string): string | null {
  if (!specifier.startsWith(".") && !specifier.startsWith("/") && !specifier.startsWith("file:")) {
    return null;
  }
  const base = file.startsWith("file:") ? file : `file://${file}`;
  return repoPath(new URL(specifier, base).href) ?? new URL(specifier, base).pathname;
}

function under(path: string, dir: string): boolean {
  return path.startsWith(`${dir}/`);
}

function isTest(path: string): boolean {
  return path.endsWith("_test.ts") || path.includes("/testdata/");
}

/** Non-file specifiers a client may use: npm packages, node built-ins and import-map names. */
function allowedPackage(specifier: string): boolean {
  if (specifier.startsWith("npm:") || specifier.startsWith("node:")) return true;
  return !/^[a-z][a-z0-9+.-]*:/i.test(specifier); // a bare name (the import map), no scheme
}

type ImportNode =
  | Deno.lint.ImportDeclaration
  | Deno.lint.ExportNamedDeclaration
  | Deno.lint.ExportAllDeclaration
  | Deno.lint.ImportExpression;

/** The static specifier of an import or re-export, or `null` (none, or computed at run time). */
function specifierOf(node: ImportNode): string | null {
  const source = node.source;
  if (source === null || source === undefined) return null;
  if (source.type === "Literal" && typeof source.value === "string") return source.value;
  if (source.type === "TemplateLiteral" && source.expressions.length === 0) {
    return source.quasis[0]?.cooked ?? null;
  }
  return null;
}

/** Calls `check` with every import, re-export and literal dynamic import of a file. */
function importVisitor(
  check: (node: ImportNode, specifier: string) => void,
): Deno.lint.LintVisitor {
  const visit = (node: ImportNode) => {
    const specifier = specifierOf(node);
    if (specifier !== null) check(node, specifier);
  };
  return {
    ImportDeclaration: visit,
    ExportNamedDeclaration: visit,
    ExportAllDeclaration: visit,
    ImportExpression: visit,
  };
}

function isDeno(node: Deno.lint.Node): boolean {
  return node.type === "Identifier" && node.name === "Deno";
}

function propertyName(node: Deno.lint.MemberExpression): string | null {
  const p = node.property;
  if (!node.computed && p.type === "Identifier") return p.name;
  if (node.computed && p.type === "Literal" && typeof p.value === "string") return p.value;
  return null;
}

/** `Deno`, or `globalThis.Deno` / `window.Deno`, as the object of a member access. */
function isDenoObject(node: Deno.lint.Node): boolean {
  if (isDeno(node)) return true;
  return node.type === "MemberExpression" && propertyName(node) === "Deno";
}

const CLIENT_DIRS = ["cli", "compat_sysv"];
/**
 * The client layer (cli/ and compat_sysv/, whose entry points live in cli/) shares only
 * protocol/ with the daemon; it also uses the parser and the system-call layer (utmp records,
 * reboot(2) for `halt -f`), never daemon/ or security/.
 */
const CLIENT_MAY_IMPORT = [...CLIENT_DIRS, "protocol", "parser", "sys"];
/** Root files a client may read: the manifest, for `--version`. */
const CLIENT_MAY_READ = ["deno.json"];

/** The plugin; its rules are named `layers/RULE`. */
const plugin: Deno.lint.Plugin = {
  name: "layers",
  rules: {
    "only-sys-dlopen": {
      create(ctx) {
        const path = repoPath(ctx.filename);
        if (path === null || under(path, "sys")) return {};
        return {
          MemberExpression(node) {
            if (!isDenoObject(node.object) || propertyName(node) !== "dlopen") return;
            ctx.report({
              node,
              message: "Deno.dlopen outside sys/",
              hint: "Bind the libc call in sys/libc.ts (or another sys/ module) and import it.",
            });
          },
        };
      },
    },
    "no-deno-in-pure": {
      create(ctx) {
        const path = repoPath(ctx.filename);
        if (path === null || isTest(path)) return {};
        if (!under(path, "parser") && !under(path, "daemon/engine")) return {};
        const report = (node: Deno.lint.Node) =>
          ctx.report({
            node,
            message: `Deno.* in ${under(path, "parser") ? "parser/" : "daemon/engine/"}`,
            hint: "Parsing and the engine are pure: take the effect through a port or a parameter.",
          });
        return {
          MemberExpression(node) {
            if (isDenoObject(node.object)) report(node);
          },
          TSQualifiedName(node) {
            if (isDeno(node.left)) report(node);
          },
        };
      },
    },
    "client-imports": {
      create(ctx) {
        const path = repoPath(ctx.filename);
        const own = CLIENT_DIRS.find((d) => path !== null && under(path, d));
        if (own === undefined) return {};
        // A client's tests may also use the shared test helpers.
        const allowed = isTest(path!) ? [...CLIENT_MAY_IMPORT, "tests"] : CLIENT_MAY_IMPORT;
        return importVisitor((node, specifier) => {
          const target = importTarget(ctx.filename, specifier);
          const ok = target === null
            ? allowedPackage(specifier)
            : CLIENT_MAY_READ.includes(target) || allowed.some((d) => under(target, d));
          if (ok) return;
          ctx.report({
            node,
            message: `${own}/ imports ${specifier}`,
            hint:
              `${own}/ may import only protocol/, parser/, sys/, cli/, compat_sysv/ and npm:/node: packages.`,
          });
        });
      },
    },
    "no-upward-imports": {
      create(ctx) {
        const path = repoPath(ctx.filename);
        if (path === null) return {};
        const layer = under(path, "sys") ? "sys" : under(path, "security") ? "security" : null;
        if (layer === null) return {};
        const above = layer === "sys" ? ["daemon", "security"] : ["daemon"];
        return importVisitor((node, specifier) => {
          const target = importTarget(ctx.filename, specifier);
          const up = target === null ? undefined : above.find((d) => under(target, d));
          if (up === undefined) return;
          ctx.report({
            node,
            message: `${layer}/ imports ${specifier} from ${up}/`,
            hint: "Arrows point down (daemon → security → sys): move the shared type down instead.",
          });
        });
      },
    },
  },
};

export default plugin;
