/**
 * Imported first by main.ts, for its side effect: the handler modules (lambda/index.ts, …) build
 * their container context from the environment when they are imported, and nothing may reach
 * AWS. Variables that would change the session settings or the endpoint are removed, so the bench
 * runs at the defaults.
 */
import { BENCH_TABLE, OFFLINE_AWS_ENV, randomSigningKey } from './common';

for (const key of [
  'AWS_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_FUNCTION_NAME',
  'DYNAMODB_ENDPOINT',
  'SESSION_SECRET_ARN',
  'SESSION_IDLE_TIMEOUT_SECONDS',
  'SESSION_ABSOLUTE_TIMEOUT_SECONDS',
]) {
  delete process.env[key];
}
Object.assign(process.env, OFFLINE_AWS_ENV, { TABLE_NAME: BENCH_TABLE, SESSION_SECRET: randomSigningKey() });
