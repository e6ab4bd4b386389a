// Must not compile: a type argument the schema does not give, and a value its schema's type refuses.
import { createDocumentClient, SessionManager, StaticKeys } from '@lambda-sessions/dynamodb';
import { z } from 'zod';

const base = {
  client: createDocumentClient(),
  tableName: 'sessions',
  keys: new StaticKeys(['a-signing-key-of-at-least-32-bytes-long']),
};

export const mismatched = new SessionManager<{ username: number }>({
  ...base,
  schema: { keys: { username: z.string() } }, // error TS2322
});

export async function misuse(): Promise<void> {
  const sessions = new SessionManager({ ...base, schema: { keys: { visits: z.number() } } });
  const session = await sessions.load({ cookies: [], secure: true });
  session.set('visits', 'many'); // error TS2345
}
