// Bundles the agent CLI into ONE file, dist/tether-agent.mjs, that runs with plain `node` on an edge device
// without node_modules, plus ONE native addon beside it: better-sqlite3's `better_sqlite3.node` (the report
// outbox). better-sqlite3's JavaScript is bundled; the agent passes the addon's path as `nativeBinding`
// (src/native-binding.ts), so `bindings` never searches node_modules. Everything else is pure JS (ws's optional
// bufferutil/utf-8-validate are left out and ws falls back to JS).
//
// Nothing is overwritten in place: each output is written to a temporary sibling and renamed over the old one. A
// running agent that mapped the old addon keeps the old inode; rewriting the file under it crashes it (SIGSEGV).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { build } from 'esbuild';
import { buildSingleExecutable } from './single-executable.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Dependencies of code paths the agent never takes, replaced by a stub that throws if ever used: pino's worker
 * transports (`thread-stream`: the agent logs synchronously to stderr), MQTT.js's SOCKS proxy (`socks`: never
 * configured) and its browser timers (`worker-timers`: node uses the native ones). They were evaluated at start
 * and held memory for nothing (pnpm bench:footprint).
 */
const NEVER_TAKEN = ['thread-stream', 'socks', 'worker-timers'];
const neverTaken = {
  name: 'never-taken',
  setup(b) {
    const filter = new RegExp(`^(${NEVER_TAKEN.join('|')})$`);
    b.onResolve({ filter }, () => ({ path: path.join(root, 'scripts/stubs/never-taken.cjs') }));
  },
};

/**
 * zod exports every locale of its error messages (`z.locales`, some 50 languages, ~300 KiB of source); the agent
 * speaks English only (zod's default, `en`). Its locales index is replaced by one that exports `en` alone: a third
 * less zod in the bundle, whose whole text V8 keeps in memory (pnpm bench:footprint).
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * etcd3 reads its gRPC definitions from `${__dirname}/../proto/*.proto` when it loads: a one-file bundle has neither
 * `__dirname` nor the files. The definitions are parsed here, at build time, and embedded as protobufjs JSON
 * (proto-loader's `fromJSON`, with etcd3's own options), so `--source etcd://` works from the bundle and the single
 * executable (test/integration/registry-sources.test.ts runs the bundle).
 */
const etcdProtos = {
  name: 'etcd3-protos',
  setup(b) {
    b.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const call = 'proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`,';
      if (!source.includes(call))
        throw new Error(`etcd3 changed how it loads its protos: update ${args.path} handling`);
      const fromEtcd = createRequire(args.path);
      const protobuf = createRequire(fromEtcd.resolve('@grpc/proto-loader'))('protobufjs');
      const protoRoot = new protobuf.Root().loadSync(
        path.join(path.dirname(args.path), '../proto/rpc.proto'),
        {
          keepCase: true,
        },
      );
      const json = JSON.stringify(protoRoot.toJSON());
      return { contents: source.replace(call, `proto_loader_1.fromJSON)(${json},`), loader: 'js' };
    });
  },
};
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Writes `bytes` to `file` by a temporary sibling and a rename, never in place. */
function writeAtomic(file, bytes, mode = 0o644) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes, { mode });
  renameSync(tmp, file);
}

/** What both builds share: the ESM bundle and the single executable's CommonJS one. */
const common = {
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Resolve @tether/shared to its TypeScript source: the bundle does not need a prior `tsc -b`.
  conditions: ['@tether/source'],
  define: { __TETHER_AGENT_VERSION__: JSON.stringify(pkg.version) },
  // Optional native speed-ups of ws, loaded in try/catch: absent on purpose.
  external: ['bufferutil', 'utf-8-validate'],
  plugins: [neverTaken, etcdProtos, englishOnly],
  legalComments: 'none',
  // Footprint (pnpm bench:footprint): V8 keeps the whole source in memory, and one character outside Latin-1
  // (a comment's dash) made it a two-byte string of twice the file's size. Whitespace and comments go, escapes keep
  // it ASCII; identifiers stay, so stack traces still name functions.
  charset: 'ascii',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

const bundled = await build({
  ...common,
  entryPoints: [path.join(root, 'src/bin.ts')],
  outfile: path.join(root, 'dist/tether-agent.mjs'),
  format: 'esm',
  // CommonJS dependencies call require(); ESM output has none, so define one.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __tetherCreateRequire } from 'node:module';",
      'const require = __tetherCreateRequire(import.meta.url);',
    ].join('\n'),
  },
});
for (const out of bundled.outputFiles) writeAtomic(out.path, out.contents, 0o755);
console.error(`bundled ${path.relative(process.cwd(), path.join(root, 'dist/tether-agent.mjs'))}`);

// The native addon of the outbox, copied beside the bundle (same Node ABI and platform as this build).
const require = createRequire(path.join(root, 'package.json'));
const addon = path.join(
  path.dirname(require.resolve('better-sqlite3/package.json')),
  'build/Release/better_sqlite3.node',
);
const addonBytes = readFileSync(addon);
writeAtomic(path.join(root, 'dist/better_sqlite3.node'), addonBytes, 0o755);
console.error(`wrote ${path.relative(process.cwd(), path.join(root, 'dist/better_sqlite3.node'))}`);

// The single executable (linux-x64, where this node carries the SEA fuse; skipped elsewhere, saying why).
await buildSingleExecutable({ root, common, addonBytes, writeAtomic });
