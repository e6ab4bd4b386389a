/**
 * The peer: the same tutorial app built the way the Node ecosystem usually builds it, to compare
 * against in `npm run bench`: Express 5, `express-session` with the `connect-dynamodb` store on an
 * AWS SDK v3 DynamoDB client, run as a Lambda handler by `serverless-http` (which reads API
 * Gateway HTTP API payload 2.0 events: `cookies`, base64 bodies, and returns `cookies`).
 *
 * The settings are the ones express-session's own README recommends for production, so the
 * comparison is fair; every choice the stack leaves open is noted where it is made:
 * - `resave: false`, `saveUninitialized: false`, `rolling: false`: no write for a visitor who
 *   never logs in, and no rewrite of an unchanged session. express-session still calls the
 *   store's `touch` on every request that arrives with a live session (connect-dynamodb: one
 *   `UpdateItem` pushing `expires` forward); that is the stack's behaviour, not a setting.
 * - Cookie `HttpOnly; Path=/; SameSite=Lax; Secure` (API Gateway serves HTTPS; `proxy: true`
 *   trusts its `X-Forwarded-Proto`), no `maxAge`: a browser-session cookie, as ours. Without
 *   `maxAge`, connect-dynamodb keeps each item one day past its last touch (its fixed default)
 *   and checks `expires` on read. The default cookie name (`connect.sid`) is kept.
 * - connect-dynamodb `initialized: true`: the table exists (the stack creates it), so no
 *   `DescribeTable` per container; its type docs recommend this for Lambda.
 * - Login regenerates the session (express-session's README login example: fixation-safe, and
 *   it deletes the old session, even one never saved), then saves it before redirecting, as the
 *   README does. express-session then saves it a second time as the response ends (after
 *   `regenerate` its modified-check compares with the old id): 1 DeleteItem + 2 PutItem per
 *   login, as measured; the README's pattern is kept because it is what users copy. Logout
 *   destroys the session (it was read first, like every request carrying a cookie) and clears
 *   the cookie.
 * - No request logger: Express has none by default. Our handlers write one JSON line per
 *   request, so that cost is on our side of every ratio.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import connectDynamoDB from 'connect-dynamodb';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import serverless from 'serverless-http';
// The same escaping as ours: the comparison is about sessions, not templates.
import { escapeHtml } from '../../../lambda/http/html';

declare module 'express-session' {
  interface SessionData {
    username: string;
  }
}

export interface PeerOptions {
  /** The table connect-dynamodb reads and writes (hash key `id`, string; see `createPeerTable`). */
  tableName: string;
  /** express-session's `secret` (signs the cookie). */
  secret: string;
  /** A DynamoDB endpoint instead of AWS (dynalite). */
  endpoint?: string | undefined;
}

/** What the peer's handler returns: a payload 2.0 result as serverless-http shapes it. */
export interface PeerResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
  isBase64Encoded: boolean;
}

export type PeerHandler = (event: unknown, context: unknown) => Promise<PeerResult>;

/** express-session's default cookie name, kept. */
export const PEER_COOKIE_NAME = 'connect.sid';

const COOKIE = { httpOnly: true, sameSite: 'lax', secure: true, path: '/' } as const;
const MAX_USERNAME_LENGTH = 64;

function page(body: string): string {
  return `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Sessions</title></head>\n<body>\n${body}\n</body>\n</html>\n`;
}

const LOGIN_FORM = page(
  '<form method="post" action="/login">\n<label for="username">Username</label>\n' +
    `<input id="username" name="username" type="text" maxlength="${MAX_USERNAME_LENGTH}" required>\n` +
    '<button type="submit">Login</button>\n</form>',
);

/** A DynamoDB client as a connect-dynamodb user would create it: the SDK's defaults, our endpoint. */
export function createPeerClient(endpoint: string | undefined): DynamoDBClient {
  return new DynamoDBClient(endpoint === undefined ? {} : { endpoint });
}

/**
 * The Express app: `GET /`, `GET`/`POST /login`, `GET /logout`, sessions in DynamoDB.
 * @example const app = createPeerApp({ tableName: 'sessions', secret }, createPeerClient(undefined));
 */
export function createPeerApp(options: PeerOptions, client: DynamoDBClient): Express {
  const DynamoDBStore = connectDynamoDB<{ username: string }>(session);
  const app = express();
  app.disable('x-powered-by');
  app.use(
    session({
      secret: options.secret,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      proxy: true,
      cookie: COOKIE,
      store: new DynamoDBStore({ client, table: options.tableName, initialized: true }),
    }),
  );
  // Session-dependent pages are not cached, as ours.
  app.use((_request, response, next) => {
    response.set('cache-control', 'no-store');
    next();
  });

  app.get('/', (request, response) => {
    const { username } = request.session;
    response
      .type('html')
      .send(
        page(
          username === undefined
            ? '<p>You are not logged in</p>\n<p><a href="/login">click here to log in</a></p>'
            : `<p>Logged in as ${escapeHtml(username)}</p>\n<p><a href="/logout">click here to log out</a></p>`,
        ),
      );
  });

  app.get('/login', (_request, response) => {
    response.type('html').send(LOGIN_FORM);
  });

  app.post(
    '/login',
    express.urlencoded({ extended: false, limit: '4kb' }),
    (request: Request, response: Response, next: NextFunction) => {
      const username = typeof request.body?.username === 'string' ? request.body.username.trim() : '';
      if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) {
        response.status(400).type('html').send(LOGIN_FORM);
        return;
      }
      request.session.regenerate((regenerateError) => {
        if (regenerateError) return next(regenerateError);
        request.session.username = username;
        request.session.save((saveError) => {
          if (saveError) return next(saveError);
          response.redirect(303, '/');
        });
      });
    },
  );

  app.get('/logout', (request, response, next) => {
    request.session.destroy((error) => {
      if (error) return next(error);
      response.clearCookie(PEER_COOKIE_NAME, COOKIE);
      response.redirect(303, '/');
    });
  });
  return app;
}

/**
 * The app as one Lambda handler (serverless-http), with its own DynamoDB client.
 * @example const handler = createPeerHandler({ tableName, secret, endpoint: proxy.endpoint });
 */
export function createPeerHandler(options: PeerOptions): { handler: PeerHandler; client: DynamoDBClient } {
  const client = createPeerClient(options.endpoint);
  return { handler: serverless(createPeerApp(options, client)) as PeerHandler, client };
}
