import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, type SessionSummary, UserSessions } from '@lambda-sessions/dynamodb';
import { DEFAULT_TABLE_NAME } from '../../lambda/app/config';
import { DataFolderInUseError, runningStoreEndpoint } from '../../lib/local/dataFolder';
import { DEFAULT_DATA_FOLDER, prepareLocalStore } from '../../lib/local/localServer';
import { OutdatedSessionTableError } from '../../lib/local/sessionTable';
import { parseSessionsArgs, type SessionsCommand, USAGE, UsageError } from './options';

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Where the command's calls go, and what to release afterwards. */
interface Connection {
  users: UserSessions;
  /** Said before the output, on stderr: which store this is. */
  where: string;
  close(): Promise<void>;
}

/** Region and credentials for a local store: never looked up, so nothing probes AWS. */
const LOCAL_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

function documentClient(config: DynamoDBClientConfig) {
  const documents = createDocumentClient(config);
  return { documents, destroy: () => documents.destroy() };
}

/**
 * The local store: `DYNAMODB_ENDPOINT` when set; else the store of the local server that holds
 * the data folder, at the endpoint it recorded; else the folder's embedded store, opened here
 * (holding the folder's lock) and closed when the command ends.
 */
async function connectLocal(env: NodeJS.ProcessEnv): Promise<Connection> {
  // As `npm start` does: nothing local may look for real AWS credentials or probe instance metadata.
  env.AWS_REGION ??= LOCAL_CLIENT_CONFIG.region;
  env.AWS_ACCESS_KEY_ID ??= LOCAL_CLIENT_CONFIG.credentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY ??= LOCAL_CLIENT_CONFIG.credentials.secretAccessKey;
  env.AWS_EC2_METADATA_DISABLED = 'true';
  const folder = env.LOCAL_DATA_DIR?.trim() || DEFAULT_DATA_FOLDER;
  const tableName = env.TABLE_NAME?.trim() || DEFAULT_TABLE_NAME;
  const running = env.DYNAMODB_ENDPOINT?.trim() ? undefined : runningStoreEndpoint(folder);
  const storeEnv: NodeJS.ProcessEnv = { ...env, ...(running ? { DYNAMODB_ENDPOINT: running } : {}) };
  const store = await prepareLocalStore(storeEnv, folder);
  const client = documentClient({ endpoint: storeEnv.DYNAMODB_ENDPOINT, ...LOCAL_CLIENT_CONFIG });
  return {
    users: new UserSessions({ client: client.documents, tableName }),
    where: running ? `the running local server's store (${running})` : store.description,
    close: async () => {
      client.destroy();
      await store.close();
    },
  };
}

function connect(command: Exclude<SessionsCommand, { action: 'help' }>, env: NodeJS.ProcessEnv) {
  const { target } = command;
  if (target.kind === 'local') return connectLocal(env);
  const client = documentClient({ region: target.region });
  return Promise.resolve<Connection>({
    users: new UserSessions({ client: client.documents, tableName: target.table }),
    where: `table ${target.table} in ${target.region}`,
    close: async () => client.destroy(),
  });
}

/** Control characters shown as `?`: whatever the table holds cannot drive the terminal. */
function printable(text: string): string {
  let shown = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    shown += code < 0x20 || (code >= 0x7f && code < 0xa0) ? '?' : char;
  }
  return shown;
}

/** `2026-11-30 19:56 UTC` */
function when(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The sessions as a table with a header row, columns padded to their widest cell. */
export function sessionTable(sessions: readonly SessionSummary[]): string[] {
  const rows = [
    ['ID', 'DEVICE', 'SIGNED IN', 'LAST ACTIVE'],
    ...sessions.map((session) => [
      printable(session.publicId),
      printable(session.device),
      when(session.signedInAt),
      when(session.lastActiveAt),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
}

async function execute(
  command: Exclude<SessionsCommand, { action: 'help' }>,
  users: UserSessions,
  io: CommandIo,
): Promise<number> {
  const user = printable(command.user);
  if (command.action === 'list') {
    const { sessions, more } = await users.list(command.user);
    if (sessions.length === 0) {
      io.out(`${user} has no live sessions.`);
      return 0;
    }
    io.out(`Live sessions of ${user}, most recently active first:`);
    for (const line of sessionTable(sessions)) io.out(line);
    if (more) io.out(`…and more not listed: revoke --all ends every session of ${user}.`);
    return 0;
  }
  if (command.session === 'all') {
    const revoked = await users.revokeAll(command.user);
    io.out(`Revoked ${revoked} session${revoked === 1 ? '' : 's'} of ${user}.`);
    return 0;
  }
  if (await users.revoke(command.user, command.session)) {
    io.out(`Revoked session ${printable(command.session)} of ${user}.`);
    return 0;
  }
  io.err(`${user} has no session ${printable(command.session)}: nothing changed.`);
  return 1;
}

/** Failures whose message says all: no stack trace for them. */
function isExpected(error: unknown): error is Error {
  return error instanceof DataFolderInUseError || error instanceof OutdatedSessionTableError;
}

/**
 * `npm run sessions -- …`: parses `args`, runs the command and returns the exit code: 0 done,
 * 1 failed (or no such session), 2 a usage error.
 * @example process.exitCode = await runSessionsCommand(process.argv.slice(2), { env: process.env, out: console.log, err: console.error });
 */
export async function runSessionsCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let command: SessionsCommand;
  try {
    command = parseSessionsArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`sessions: ${error.message}`);
    io.err(USAGE);
    return 2;
  }
  if (command.action === 'help') {
    io.out(USAGE);
    return 0;
  }
  let connection: Connection | undefined;
  try {
    connection = await connect(command, io.env);
    io.err(`store: ${connection.where}`);
    return await execute(command, connection.users, io);
  } catch (error) {
    if (isExpected(error)) {
      io.err(`sessions: ${error.message}`);
    } else {
      const cause =
        error instanceof Error && error.cause instanceof Error
          ? ` (${error.cause.name}: ${error.cause.message})`
          : '';
      io.err(`sessions: ${error instanceof Error ? error.message : String(error)}${cause}`);
    }
    return 1;
  } finally {
    await connection?.close();
  }
}
