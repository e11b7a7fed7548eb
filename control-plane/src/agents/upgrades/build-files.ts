import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** Keeps a build in `dir` by its sha256, written whole before it appears under its name (never half a file). */
export function keepBuild(dir: string, sha256: string, build: Uint8Array): void {
  const file = join(dir, sha256);
  if (existsSync(file)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, build, { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch {
    // The same build stored meanwhile: same digest, same bytes.
  }
  rmSync(tmp, { force: true });
}

/** Reads `length` bytes at `offset` of the build kept in `dir` under `sha256`. */
export function readChunk(dir: string, sha256: string, offset: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  const fd = openSync(join(dir, sha256), 'r');
  try {
    readSync(fd, bytes, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return bytes;
}
