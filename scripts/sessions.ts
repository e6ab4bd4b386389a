/**
 * `npm run sessions -- list --user NAME` and `npm run sessions -- revoke --user NAME (--all |
 * --session ID)`: an operator's view of a user's sessions, after a password change or a
 * compromised account. The local store by default; a table in AWS with --table and --region.
 */
import { runSessionsCommand } from './sessions/run';

runSessionsCommand(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
