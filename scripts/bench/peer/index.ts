/**
 * The peer's Lambda entry (one function serves every route, as an Express app usually is
 * deployed): bundled like our functions and loaded in fresh processes by `npm run bench`.
 * Configuration from the environment at init, as ours: TABLE_NAME, SESSION_SECRET and,
 * locally, DYNAMODB_ENDPOINT.
 */
import { createPeerHandler } from './app';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export const { handler } = createPeerHandler({
  tableName: required('TABLE_NAME'),
  secret: required('SESSION_SECRET'),
  endpoint: process.env.DYNAMODB_ENDPOINT || undefined,
});
