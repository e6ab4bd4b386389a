import { createHash } from 'node:crypto';
import type { FlashMessage, SessionSummary, UserSessions } from '@lambda-sessions/dynamodb';
import { html, type SafeHtml, trustedHtml } from './html.js';

/** What `UserSessions.list` gives: the live sessions and whether there are more. */
type SessionList = Awaited<ReturnType<UserSessions['list']>>;

/** A flashed message as `Session.flashedMessages()` gives it (Flask's `with_categories=True`). */
export type Flash = FlashMessage;

/**
 * The flash categories the pages style: each gets its own class. Any other category shows as a
 * plain `message`; the words carry the meaning, the colour only repeats it.
 */
export const FLASH_CATEGORIES = ['message', 'warning'] as const;
export type FlashCategory = (typeof FLASH_CATEGORIES)[number];

/** Usernames longer than this are refused; the form's `maxlength` uses the same number. */
export const MAX_USERNAME_LENGTH = 64;

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --bg: #f6f7fb; --card: #fff; --muted: #5b6475;
  --accent: #2457d6; --error: #b42318; --border: #d5d9e2; --note: #eaf0fd; --warn: #9a5b00; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e7eaf0; --bg: #12151c; --card: #1b2029; --muted: #a3abba; --accent: #8fb0ff;
    --error: #ff8a80; --border: #343b48; --note: #1f2a42; --warn: #f5b754; }
}
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 1rem;
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { width: 100%; max-width: 26rem; padding: 2rem; border: 1px solid var(--border); border-radius: .75rem;
  background: var(--card); }
h1 { margin: 0 0 1rem; font-size: 1.4rem; }
p { margin: 0 0 1rem; }
a { color: var(--accent); }
label { display: block; margin-bottom: .25rem; font-weight: 600; }
input[type=text] { width: 100%; padding: .6rem .7rem; font: inherit; color: inherit; background: transparent;
  border: 1px solid var(--border); border-radius: .4rem; }
input[aria-invalid=true] { border-color: var(--error); }
.check { display: flex; align-items: center; gap: .5rem; margin-top: 1rem; }
.check label { margin: 0; font-weight: 400; }
input[type=checkbox] { width: 1.1rem; height: 1.1rem; margin: 0; accent-color: var(--accent); }
input[type=checkbox][aria-invalid=true] { outline: 2px solid var(--error); outline-offset: 2px; }
button { margin-top: 1rem; padding: .6rem 1.2rem; font: inherit; font-weight: 600; color: #fff;
  background: var(--accent); border: 0; border-radius: .4rem; cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #12151c; } }
a:focus-visible, input:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: var(--error); margin: .5rem 0 0; }
.muted { color: var(--muted); font-size: .9rem; }
.sessions { list-style: none; margin: 0 0 1rem; padding: 0; }
.sessions li { padding: .75rem 0; border-top: 1px solid var(--border); }
.sessions p { margin: 0; }
.sessions button { margin-top: .5rem; }
form + .muted { margin-top: 1rem; }
.flashes { margin: 0 0 1rem; }
.flash { margin: 0 0 .5rem; padding: .6rem .8rem; border-left: 4px solid var(--accent); border-radius: .4rem;
  background: var(--note); }
.flash-warning { border-left-color: var(--warn); }
.kept { display: inline-block; margin-left: .25rem; padding: 0 .5rem; font-size: .85rem; border: 1px solid var(--border);
  border-radius: 1rem; color: var(--fg); }
`;

/** The Content-Security-Policy: no script at all, and only our one inline stylesheet, by hash. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  // data: only for the empty favicon above, which stops the browser asking for /favicon.ico.
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<style>${trustedHtml(STYLE)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.value;
}

/**
 * The flashed messages, in a polite status region right under the heading; nothing when there are
 * none. Each message is text (escaped); its category picks a style from FLASH_CATEGORIES.
 */
export function flashRegion(flashes: readonly Flash[]): SafeHtml | '' {
  if (flashes.length === 0) return '';
  const item = ({ category, message }: Flash) => {
    const style: FlashCategory = (FLASH_CATEGORIES as readonly string[]).includes(category)
      ? (category as FlashCategory)
      : 'message';
    return html`<p class="flash flash-${style}">${message}</p>
`;
  };
  return html`<div class="flashes" role="status" aria-live="polite">
${flashes.map(item)}</div>
`;
}

/** `/`: who is logged in, or an invitation to log in; first the flashed messages, if any. */
export function indexPage(username: string | undefined, flashes: readonly Flash[] = []): string {
  if (username === undefined) {
    return layout(
      'Sessions',
      html`<h1>Sessions</h1>
${flashRegion(flashes)}<p>You are not logged in</p>
<p><a href="/login">click here to log in</a></p>`,
    );
  }
  return layout(
    'Sessions',
    html`<h1>Sessions</h1>
${flashRegion(flashes)}<p>Logged in as ${username}</p>
<p><a href="/logout">click here to log out</a></p>
<p><a href="/sessions">your sessions on other devices</a></p>`,
  );
}

/** The login form's checkbox: checked, the session outlives the browser (`Session.permanent`). */
export const REMEMBER_FIELD = 'remember';

export interface LoginPageOptions {
  /** Why the last attempt was refused, shown next to `errorField`. */
  error?: string;
  /** The field the error is about. @default 'username' */
  errorField?: 'username' | typeof REMEMBER_FIELD;
  /** The username to put back in the field. */
  username?: string;
  /** Whether "Keep me signed in" stays checked. */
  remember?: boolean;
}

/** The attributes that tie a field to its error message, when the error is about that field. */
function invalidMarks(errorId: string, invalid: boolean): SafeHtml | '' {
  return invalid ? html` aria-invalid="true" aria-describedby="${errorId}"` : '';
}

/**
 * `/login`: the form (a username, "Keep me signed in"), with an error tied to its field when the
 * last attempt was refused.
 */
export function loginPage(options: LoginPageOptions = {}): string {
  const { error, errorField = 'username', username = '', remember = false } = options;
  const usernameError = error !== undefined && errorField === 'username';
  const rememberError = error !== undefined && errorField === REMEMBER_FIELD;
  return layout(
    'Log in',
    html`<h1>Log in</h1>
<form method="post" action="/login">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${username}" autocomplete="username" required maxlength="${MAX_USERNAME_LENGTH}" autofocus${invalidMarks('username-error', usernameError)}>
${usernameError ? html`<p class="error" id="username-error">${error}</p>` : ''}
<div class="check">
<input type="checkbox" id="${REMEMBER_FIELD}" name="${REMEMBER_FIELD}" value="on"${remember ? trustedHtml(' checked') : ''}${invalidMarks('remember-error', rememberError)}>
<label for="${REMEMBER_FIELD}">Keep me signed in</label>
</div>
${rememberError ? html`<p class="error" id="remember-error">${error}</p>` : ''}
<button type="submit">Login</button>
</form>`,
  );
}

/** An instant as `<time>`: ISO 8601 for machines, minutes in UTC for people. */
function timeElement(epochMs: number): SafeHtml {
  const iso = new Date(epochMs).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

function sessionItem(summary: SessionSummary, position: number, current: boolean): SafeHtml {
  const deviceId = `device-${position}`;
  return html`<li>
<p id="${deviceId}">${summary.device}${current ? html` <strong>(This device)</strong>` : ''}${summary.permanent ? html` <span class="kept">Kept signed in</span>` : ''}</p>
<p class="muted">Signed in ${timeElement(summary.signedInAt)}, last active ${timeElement(summary.lastActiveAt)}</p>
${
  current
    ? ''
    : html`<form method="post" action="/sessions/revoke">
<input type="hidden" name="session" value="${summary.publicId}">
<button type="submit" aria-describedby="${deviceId}">Log out</button>
</form>`
}
</li>
`;
}

/**
 * `/sessions`: the flashed messages, then the user's live sessions, most recently active first,
 * the current one (public id `currentId`) marked "This device" and each kept one (permanent)
 * "Kept signed in"; a form to log out each other one, the others, or everywhere.
 */
export function sessionsPage(
  username: string,
  list: SessionList,
  currentId: string | undefined,
  flashes: readonly Flash[] = [],
): string {
  const listed = list.sessions.some((summary) => summary.publicId === currentId);
  return layout(
    'Your sessions',
    html`<h1>Your sessions</h1>
${flashRegion(flashes)}<p>Signed in as <strong>${username}</strong> on these devices:</p>
<ul class="sessions">
${list.sessions.map((summary, position) => sessionItem(summary, position, summary.publicId === currentId))}</ul>
${listed ? '' : html`<p class="muted">This device is not listed yet: the list can lag a login by a moment.</p>`}
${list.more ? html`<p class="muted">Only the ${list.sessions.length} most recently active sessions are listed; you have more.</p>` : ''}
<form method="post" action="/sessions/revoke">
<input type="hidden" name="session" value="others">
<button type="submit">Log out other devices</button>
</form>
<form method="post" action="/logout">
<input type="hidden" name="scope" value="everywhere">
<button type="submit">Log out everywhere</button>
</form>
<p class="muted"><a href="/">Back to the start page</a></p>`,
  );
}

/**
 * After "log out everywhere" that could not end every other session in time (the time budget ran
 * out, or the store failed): this device is logged out all the same; the others may not be.
 */
export function partialLogoutPage(): string {
  return layout(
    'Logged out on this device',
    html`<h1>Logged out on this device</h1>
<p>You are logged out on this device. Some of your sessions on other devices may still be logged in: they could not all be logged out just now.</p>
<p>To finish, log in again and choose <strong>Log out everywhere</strong> once more. Your sessions page lists the devices still logged in.</p>
<p><a href="/login">click here to log in</a></p>
<p class="muted"><a href="/">Back to the start page</a></p>`,
  );
}

const ERROR_TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request too large',
  415: 'Unsupported media type',
  500: 'Something went wrong',
  503: 'Service unavailable',
};

/** An error page; `message` is shown as text. */
export function errorPage(status: number, message: string): string {
  const title = ERROR_TITLES[status] ?? 'Error';
  return layout(
    title,
    html`<h1>${title}</h1>
<p>${message}</p>
<p class="muted"><a href="/">Back to the start page</a></p>`,
  );
}
