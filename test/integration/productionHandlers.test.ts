import type { Context } from 'aws-lambda';
import { httpEvent, loginEvent } from '../../lib/local/httpApiEvents';
import { cookieFrom, itemIdOf, shownUsername, tokenOf } from '../support/responses';
import { openedData } from '../support/sealed';
import { useStore } from '../support/store';
import { getItem } from '../support/table';
import type { Handler } from '../support/testApp';

// The real exported handlers build their context from process.env at import, so the endpoint
// must be set before they are imported. Whatever imported the route modules before (and so built
// a context without an endpoint), resetModules gives the handlers a fresh container.
const db = useStore();
const { proxy } = db;
let index: Handler;
let login: Handler;
let logout: Handler;

beforeAll(async () => {
  process.env.DYNAMODB_ENDPOINT = proxy.endpoint;
  jest.resetModules();
  ({ handler: index } = await import('../../lambda/index.js'));
  ({ handler: login } = await import('../../lambda/login.js'));
  ({ handler: logout } = await import('../../lambda/logout.js'));
});

afterAll(async () => {
  delete process.env.DYNAMODB_ENDPOINT;
});

describe('the exported Lambda handlers, wired as in production', () => {
  test('login → index → logout → replay against the store from the environment', async () => {
    expect(shownUsername(await index(httpEvent()))).toBeUndefined();

    const form = await login(httpEvent({ path: '/login' }));
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="username"');

    proxy.reset();
    const loggedIn = await login(loginEvent('admin'));
    expect(loggedIn.statusCode).toBe(303);
    expect(loggedIn.headers.location).toBe('/');
    expect(proxy.operations).toEqual(['PutItem']); // it went to the endpoint from DYNAMODB_ENDPOINT
    const cookie = cookieFrom(loggedIn);
    expect(cookie.startsWith('__Host-session=')).toBe(true);

    const item = await getItem(db, itemIdOf(cookie));
    expect(openedData(item, tokenOf(cookie))).toEqual({ username: 'admin' });
    // Production defaults: idle 1 h, absolute 12 h, on the real clock.
    expect((item?.validUntil as number) - (item?.refreshedAt as number)).toBe(3600 * 1000);
    expect((item?.absoluteExpiresAt as number) - (item?.createdAt as number)).toBe(43200 * 1000);

    proxy.reset();
    const page = await index(httpEvent({ cookies: [cookie] }));
    expect(shownUsername(page)).toBe('admin');
    expect(page.body).toContain('href="/logout"');
    expect(proxy.operations).toEqual(['GetItem']);

    proxy.reset();
    const out = await logout(httpEvent({ path: '/logout', cookies: [cookie] }));
    expect(out.statusCode).toBe(303);
    // Deleted, and a new anonymous session holding "You were logged out." replaces the cookie.
    expect([...proxy.operations].sort()).toEqual(['DeleteItem', 'PutItem']); // sent together
    expect(await getItem(db, itemIdOf(cookie))).toBeUndefined();
    const flashed = await index(httpEvent({ cookies: [cookieFrom(out)] }));
    expect(shownUsername(flashed)).toBeUndefined();
    expect(flashed.body).toContain('You were logged out.');
    expect(flashed.cookies.join()).toContain('Max-Age=0');

    expect(shownUsername(await index(httpEvent({ cookies: [cookie] })))).toBeUndefined();
  });

  test('the three handlers share one signing key: a cookie from login works on index', async () => {
    const cookies = await Promise.all(
      ['p1', 'p2', 'p3'].map(async (name) => cookieFrom(await login(loginEvent(name)))),
    );
    const pages = await Promise.all(cookies.map((cookie) => index(httpEvent({ cookies: [cookie] }))));
    expect(pages.map(shownUsername)).toEqual(['p1', 'p2', 'p3']);
  });

  test('the handler accepts a Lambda context argument and answers other methods with 405', async () => {
    const lambdaContext = { awsRequestId: 'c0ffee00-0000-4000-8000-000000000000' } as Context;
    expect((await index(httpEvent(), lambdaContext)).statusCode).toBe(200);
    const response = await index(httpEvent({ method: 'POST' }), lambdaContext);
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET');
  });
});
