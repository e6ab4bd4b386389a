/**
 * `npm start`: the app on http://127.0.0.1:$PORT with the embedded store (or DYNAMODB_ENDPOINT).
 * LOCAL_DATA_DIR moves the data folder (default: .data in the project).
 */
import { ConfigError, getIntegerFromEnv } from '../lambda/app/config';
import { DataFolderInUseError } from '../lib/local/dataFolder';
import { PortInUseError, startLocalApp } from '../lib/local/localServer';

const DEFAULT_PORT = 3000;

async function main(): Promise<void> {
  const port = getIntegerFromEnv(process.env, 'PORT', DEFAULT_PORT, { min: 0, max: 65535 });
  const dataFolder = process.env.LOCAL_DATA_DIR?.trim() || undefined;
  const app = await startLocalApp({ port, dataFolder, log: (line) => console.log(line) });
  console.log(`Sessions app listening on ${app.url}`);
  console.log(`  store: ${app.store}`);
  if (app.storeNote) console.log(`  note: ${app.storeNote}`);
  console.log('  Ctrl-C to stop');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping`);
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const known =
    error instanceof PortInUseError || error instanceof DataFolderInUseError || error instanceof ConfigError;
  console.error(`Cannot start: ${known ? (error as Error).message : error}`);
  if (!known) console.error(error);
  process.exit(1);
});
