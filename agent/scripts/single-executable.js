// Builds the agent as a Node single executable application (SEA): `dist/tether-agent`, the node binary that builds
// it with the agent's CommonJS bundle and the SQLite addon (an asset, `better_sqlite3.node`) injected, so a device
// needs nothing installed. Linux x64 only, and only where this node carries the SEA fuse; elsewhere it says why and
// skips (the .mjs and its addon stay the way to run the agent with Node). Like the rest of the build, it writes a
// temporary file and renames it over the old executable, never in place; an unchanged blob for the same node is
// not injected again (injection reads and writes ~100 MB).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

/** The sentinel node's SEA support is recognised by (Node's documented value). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The asset name the agent reads its addon by (src/native-binding.ts: SQLITE_ADDON). */
const ADDON_ASSET = 'better_sqlite3.node';

/** Why no single executable can be built here, or undefined when it can. */
function unsupported(root) {
  if (process.env.TETHER_SKIP_SEA) return 'TETHER_SKIP_SEA is set';
  if (`${process.platform}-${process.arch}` !== 'linux-x64')
    return `built for linux-x64 only, this is ${process.platform}-${process.arch}`;
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 12))
    return `node ${process.versions.node} has no SEA assets (20.12 or later)`;
  try {
    createRequire(path.join(root, 'package.json')).resolve('postject');
  } catch {
    return 'postject is not installed (pnpm install)';
  }
  if (!readFileSync(process.execPath).includes(FUSE))
    return `${process.execPath} was built without SEA support`;
  return undefined;
}

/** Builds dist/tether-agent from the shared esbuild options `common` and the addon's bytes. */
export async function buildSingleExecutable({ root, common, addonBytes, writeAtomic }) {
  const out = path.join(root, 'dist/tether-agent');
  const why = unsupported(root);
  if (why) {
    console.error(`single executable skipped: ${why}`);
    return;
  }
  const work = path.join(root, 'dist/sea');
  mkdirSync(work, { recursive: true });
  // SEA runs one CommonJS script whose require() loads built-in modules only: everything is bundled, the addon
  // comes from the asset (loaded by process.dlopen), and import.meta.url is the executable's.
  const script = await build({
    ...common,
    stdin: {
      contents: "import './v8-flags.js';\nimport { main } from './cli/main.js';\nmain(process.argv);\n",
      resolveDir: path.join(root, 'src'),
      sourcefile: 'sea-main.ts',
      loader: 'ts',
    },
    outfile: path.join(work, 'tether-agent.cjs'),
    format: 'cjs',
    define: { ...common.define, 'import.meta.url': '__tetherModuleUrl' },
    banner: { js: "var __tetherModuleUrl = require('node:url').pathToFileURL(process.execPath).href;" },
  });
  for (const file of script.outputFiles) writeAtomic(file.path, file.contents);
  const addon = path.join(work, ADDON_ASSET);
  writeAtomic(addon, addonBytes);
  const config = path.join(work, 'sea-config.json');
  const blob = path.join(work, 'tether-agent.blob');
  writeFileSync(
    config,
    JSON.stringify({
      main: path.join(work, 'tether-agent.cjs'),
      output: blob,
      disableExperimentalSEAWarning: true,
      assets: { [ADDON_ASSET]: addon },
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const blobBytes = readFileSync(blob);
  const stamp = path.join(work, 'stamp');
  const key = createHash('sha256')
    .update(blobBytes)
    .update(process.execPath)
    .update(process.version)
    .digest('hex');
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
    console.error(`${path.relative(process.cwd(), out)} up to date`);
    return;
  }
  const { inject } = createRequire(path.join(root, 'package.json'))('postject');
  const tmp = `${out}.${process.pid}.tmp`;
  const injected = `${out}.${process.pid}.injected`;
  copyFileSync(process.execPath, injected);
  try {
    await inject(injected, 'NODE_SEA_BLOB', blobBytes, { sentinelFuse: FUSE });
    // postject writes the whole ~100 MB file in one write(), which leaves it in the page cache as large folios:
    // a process mapping it then counts ~11 MiB more of it resident (pnpm bench:footprint: 65 vs 53 MiB idle, on
    // Linux 6.18 / ext4) than when the file came by scp, an upgrade or a copy. The build copies it once, as those do.
    copyFileSync(injected, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    rmSync(injected, { force: true });
  }
  writeFileSync(stamp, key);
  console.error(
    `built ${path.relative(process.cwd(), out)} (single executable, node ${process.versions.node})`,
  );
}
