/** Where the sessions are: the local store (`npm start`'s), or a DynamoDB table in AWS. */
export type SessionsTarget = { kind: 'local' } | { kind: 'aws'; table: string; region: string };

export type SessionsCommand =
  | { action: 'help' }
  | { action: 'list'; user: string; target: SessionsTarget }
  | { action: 'revoke'; user: string; session: string | 'all'; target: SessionsTarget };

export const USAGE = `usage: npm run sessions -- list --user NAME [--table NAME --region REGION]
       npm run sessions -- revoke --user NAME (--all | --session ID) [--table NAME --region REGION]

  list      the user's live sessions: id, device, signed in, last active
  revoke    end one session (--session ID, an id from list) or all of them (--all)

Against the local store (npm start's data folder, or DYNAMODB_ENDPOINT) unless --table and
--region name a DynamoDB table in AWS, reached with the credentials of your environment.`;

/** The command line cannot be understood: exit 2 with the message and the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const VALUE_FLAGS = new Set(['--user', '--session', '--table', '--region']);
const SWITCHES = new Set(['--all', '--help']);

/** The flags of `args`, `--name value` or `--name=value`; each at most once. */
function readFlags(args: readonly string[]): { positional: string[]; flags: Map<string, string | true> } {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    if (!VALUE_FLAGS.has(name) && !SWITCHES.has(name)) throw new UsageError(`unknown option ${name}`);
    if (flags.has(name)) throw new UsageError(`${name} given twice`);
    if (SWITCHES.has(name)) {
      if (equals !== -1) throw new UsageError(`${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const value = equals === -1 ? args[++index] : arg.slice(equals + 1);
    if (value === undefined || value.trim() === '' || (equals === -1 && value.startsWith('--'))) {
      throw new UsageError(`${name} needs a value`);
    }
    flags.set(name, value);
  }
  return { positional, flags };
}

/**
 * The command `args` (what follows `npm run sessions --`) asks for, or `UsageError`.
 * @example parseSessionsArgs(['revoke', '--user', 'alice', '--all']); // { action: 'revoke', user: 'alice', session: 'all', target: { kind: 'local' } }
 */
export function parseSessionsArgs(args: readonly string[]): SessionsCommand {
  const { positional, flags } = readFlags(args);
  if (flags.has('--help')) return { action: 'help' };
  const [action, ...extra] = positional;
  if (action === undefined) throw new UsageError('say what to do: list or revoke');
  if (action !== 'list' && action !== 'revoke') throw new UsageError(`unknown command ${action}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);

  const user = flags.get('--user');
  if (typeof user !== 'string') throw new UsageError('--user NAME is required');
  const table = flags.get('--table');
  const region = flags.get('--region');
  if ((table === undefined) !== (region === undefined)) {
    throw new UsageError('--table and --region go together: both name the table in AWS');
  }
  const target: SessionsTarget =
    typeof table === 'string' && typeof region === 'string'
      ? { kind: 'aws', table, region }
      : { kind: 'local' };

  const all = flags.has('--all');
  const session = flags.get('--session');
  if (action === 'list') {
    if (all || session !== undefined) throw new UsageError('list takes no --all or --session');
    return { action, user, target };
  }
  if (all === (session !== undefined)) throw new UsageError('revoke needs either --all or --session ID');
  return { action, user, session: typeof session === 'string' ? session : 'all', target };
}
