// Typed session data that must compile (checked by typecheck and by test/types/types.test.ts).
// Each line states a type the library promises; `Equal` fails to compile when the type differs.
import {
  createDocumentClient,
  type Session,
  SessionManager,
  StaticKeys,
  withSession,
} from '@lambda-sessions/dynamodb';
import { z } from 'zod';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

const base = {
  client: createDocumentClient(),
  tableName: 'sessions',
  keys: new StaticKeys(['a-signing-key-of-at-least-32-bytes-long']),
};

interface AppData {
  username: string;
  visits: number;
  cart?: string[];
}

// A type argument types the data.
export const typed = new SessionManager<AppData>(base);
export async function typedUse(session: Session<AppData>): Promise<void> {
  expectType<Equal<ReturnType<typeof session.get<'username'>>, string | undefined>>();
  expectType<Equal<ReturnType<typeof session.get<'cart'>>, string[] | undefined>>();
  session.set('username', 'admin');
  session.set('visits', (session.get('visits') ?? 0) + 1);
  session.set('cart', ['apple']);
  expectType<Equal<ReturnType<typeof session.pop<'visits'>>, number | undefined>>();
  expectType<Equal<ReturnType<typeof session.keys>, ('username' | 'visits' | 'cart')[]>>();
  expectType<Equal<Awaited<ReturnType<typeof typed.load>>, Session<AppData>>>();
}

// A schema gives the type too, per key or for the whole data.
export const byKey = new SessionManager({
  ...base,
  schema: { keys: { username: z.string(), visits: z.number() } },
});
export const whole = new SessionManager({
  ...base,
  schema: {
    whole: z.object({ username: z.string().optional(), theme: z.enum(['light', 'dark']).optional() }),
  },
});
export async function inferred(): Promise<void> {
  const session = await byKey.load({ cookies: [], secure: true });
  expectType<Equal<ReturnType<typeof session.get<'visits'>>, number | undefined>>();
  const wholeSession = await whole.load({ cookies: [], secure: true });
  expectType<Equal<ReturnType<typeof wholeSession.get<'theme'>>, 'light' | 'dark' | undefined>>();
  wholeSession.set('theme', 'dark');
}

// Without a type argument or a schema: any key, unknown values, as before.
export const untyped = new SessionManager(base);
export async function untypedUse(): Promise<void> {
  const session = await untyped.load({ cookies: [], secure: true });
  expectType<Equal<ReturnType<typeof session.get>, unknown>>();
  session.set('anything', { nested: [1, 'two'] });
  session.set('other', 42);
}

// The adapters carry the type to the handler.
export const handler = withSession(typed, async (_event, _context, session) => {
  expectType<Equal<typeof session, Session<AppData>>>();
  return { statusCode: 200, body: session.get('username') ?? 'anonymous' };
});
