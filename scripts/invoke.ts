/**
 * `npm run invoke -- <index|login|logout|sessions> events/<file>.json`: `sam local invoke` without Docker.
 * Runs one handler in this process with the environment from events/env.json, against the local
 * store (the embedded dynalite in the data folder, or DYNAMODB_ENDPOINT from your shell), and
 * prints the result.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionName } from '../lambda/contract';
import { localLambdaContext } from '../lib/local/apiGateway';
import { DEFAULT_DATA_FOLDER, type LambdaHandler, prepareLocalStore } from '../lib/local/localServer';

const USAGE = 'usage: npm run invoke -- <index|login|logout|sessions> events/<file>.json';

/** A region and dummy credentials for the local store (as before env.json dropped them). */
const LOCAL_AWS = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

function isFunctionName(name: string | undefined): name is FunctionName {
  return name !== undefined && Object.hasOwn(FUNCTIONS, name);
}

async function main(): Promise<void> {
  const [name, eventFile] = process.argv.slice(2);
  if (!isFunctionName(name) || eventFile === undefined) throw new Error(USAGE);
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const { Parameters: parameters } = JSON.parse(
    readFileSync(join(__dirname, '../events/env.json'), 'utf8'),
  ) as {
    Parameters: Record<string, string>;
  };
  const shellEndpoint = process.env.DYNAMODB_ENDPOINT?.trim();
  // env.json holds only what the functions declare (SAM gives the container its own region and
  // credentials): the local store's are set here, and nothing may look for real ones.
  Object.assign(process.env, LOCAL_AWS, parameters, { AWS_EC2_METADATA_DISABLED: 'true' });

  if (shellEndpoint) process.env.DYNAMODB_ENDPOINT = shellEndpoint;
  else delete process.env.DYNAMODB_ENDPOINT; // env.json's is for SAM's container
  const store = await prepareLocalStore(
    process.env,
    process.env.LOCAL_DATA_DIR?.trim() || DEFAULT_DATA_FOLDER,
  );
  try {
    // Loaded only now: the handler reads its configuration from the environment at import.
    const { handler } = require(join(__dirname, '..', FUNCTIONS[name].entry)) as { handler: LambdaHandler };
    const result = await handler(event, localLambdaContext(`local-${name}`));
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
