import { DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { createLambdaHandler } from '../../lambda/app/lambdaHandler';
import { sessionsRoute } from '../../lambda/routes/sessionsRoute';
import { newPublicId, newToken } from '../../lambda/session/src/tokens';
import { httpEvent } from '../../lib/local/httpApiEvents';
import { ownedItem, useMockedApp } from '../support/mockedStore';
import { base64UrlOf, fuzzAsync, textWith } from './fuzz';

// The revoke form, fed anything: whatever the body, content type, headers and id, the sessions
// function never answers 5xx, and it deletes only what the logged-in user asked for among their
// own sessions: never for a malformed id, another user's id or a made-up one.

const { ddb, manageApp, cookieFor } = useMockedApp();
const token = newToken();
const ALICE_OTHER = newPublicId(); // alice's other session: the one id that may be revoked
const BOB_SESSION = newPublicId(); // another user's session

/** The owner index as DynamoDB would answer: alice's other session (the current one has no other id). */
function mockStore(): void {
  ddb.on(GetCommand).resolves({ Item: ownedItem(token, 'alice', newPublicId()) });
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
    const sessions = [
      { id: 'alice-other-key', owner: 'alice', publicId: ALICE_OTHER },
      { id: 'bob-key', owner: 'bob', publicId: BOB_SESSION },
    ];
    const values = input.ExpressionAttributeValues;
    const items = sessions.filter(
      (item) =>
        item.owner === values[':owner'] &&
        (values[':publicId'] === undefined || item.publicId === values[':publicId']),
    );
    return { Items: items.map(({ id, publicId }) => ({ id, publicId })) };
  });
}

const idValue = fc.oneof(
  fc.constantFrom(ALICE_OTHER, BOB_SESSION, 'others', 'Others', 'others ', '', 'everywhere'),
  base64UrlOf(16),
  textWith(['A', '-', '_', '%', '=', '&', ' ', '+', '"', '<', '\0', 'é'], 80),
);
const body = fc.oneof(
  { weight: 4, arbitrary: idValue.map((id) => `session=${encodeURIComponent(id)}`) },
  { weight: 1, arbitrary: idValue.map((id) => `session=${id}`) },
  { weight: 1, arbitrary: idValue.map((id) => `session=${encodeURIComponent(id)}&session=${ALICE_OTHER}`) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
);
const contentType = fc.constantFrom(
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=latin1',
  'multipart/form-data',
  'text/plain',
  '',
);
const fetchSite = fc.constantFrom('same-origin', 'none', 'same-site', 'cross-site', undefined);

it('never answers 5xx and deletes only alice’s own session, when asked for it or for the others', async () => {
  await fuzzAsync(
    fc.asyncProperty(body, contentType, fetchSite, fc.boolean(), async (sent, type, site, loggedIn) => {
      // Prepare
      ddb.reset();
      mockStore();

      // Act
      const response = await createLambdaHandler(
        sessionsRoute,
        manageApp,
      )(
        httpEvent({
          method: 'POST',
          path: '/sessions/revoke',
          body: sent,
          ...(loggedIn ? { cookies: [cookieFor(token)] } : {}),
          headers: { 'content-type': type, ...(site === undefined ? {} : { 'sec-fetch-site': site }) },
        }),
      );

      // Assess
      expect(response.statusCode).toBeLessThan(500);
      const deletes = ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input);
      if (deletes.length === 0) return;
      const asked = new URLSearchParams(Buffer.from(sent).toString('latin1')).getAll('session');
      expect(loggedIn).toBe(true);
      expect(site === undefined || site === 'same-origin' || site === 'none').toBe(true);
      expect(asked).toHaveLength(1);
      expect([ALICE_OTHER, 'others']).toContain(asked[0]);
      expect(response.statusCode).toBe(303);
      for (const input of deletes) {
        expect(input.Key).toEqual({ id: 'alice-other-key' });
        expect(input.ExpressionAttributeValues?.[':owner']).toBe('alice');
      }
    }),
    // Each case runs the whole handler: fewer cases than the parser-only properties.
    1000,
  );
});
