import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process holds the data folder. */
export class DataFolderInUseError extends Error {
  constructor(
    readonly folder: string,
    readonly pid: number,
  ) {
    super(`the data folder ${folder} is in use by another instance (process ${pid}); stop it first`);
    this.name = 'DataFolderInUseError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK_FILE = 'server.pid';
const ENDPOINT_FILE = 'store-endpoint';

/** The live process holding `folder`'s lock, if any; this process counts only with `includeSelf`. */
function lockHolder(folder: string, includeSelf = false): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(folder, LOCK_FILE), 'utf8').trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!(Number.isInteger(pid) && pid > 0)) return undefined;
  if (pid === process.pid) return includeSelf ? pid : undefined;
  return isAlive(pid) ? pid : undefined;
}

/**
 * Claims `folder` for this process with a PID lock file (LevelDB allows one process per folder
 * and dynalite would crash on a second). A lock left by a dead process is taken over.
 * @returns a function that releases the lock.
 */
export function lockDataFolder(folder: string): () => void {
  mkdirSync(folder, { recursive: true });
  const lockFile = join(folder, LOCK_FILE);
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const pid = lockHolder(folder);
    if (pid !== undefined) throw new DataFolderInUseError(folder, pid);
    writeFileSync(lockFile, String(process.pid));
  }
  return () => rmSync(lockFile, { force: true });
}

/**
 * Records the endpoint of the embedded store this process runs on `folder` (whose lock it holds),
 * so that a tool such as `npm run sessions` can reach the store while the server runs.
 * @returns a function that removes the record.
 */
export function recordStoreEndpoint(folder: string, endpoint: string): () => void {
  const file = join(folder, ENDPOINT_FILE);
  writeFileSync(file, `${endpoint}\n`);
  return () => rmSync(file, { force: true });
}

/**
 * The endpoint of the embedded store a live process (this one too) runs on `folder`, or undefined
 * when no live process holds the folder (or the holder recorded none).
 */
export function runningStoreEndpoint(folder: string): string | undefined {
  if (lockHolder(folder, true) === undefined) return undefined;
  try {
    return readFileSync(join(folder, ENDPOINT_FILE), 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The local signing key: generated once and kept in the data folder (mode 0600), so sessions
 * survive a restart. `SESSION_SECRET` overrides it.
 */
export function localSigningKey(folder: string): string {
  const file = join(folder, 'session-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(folder, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
