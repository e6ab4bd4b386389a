import 'aws-sdk-client-mock-jest';
import {
  ConditionalCheckFailedException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { sweepExpiredSessions } from '../../lambda/session/src/sweep';
import { T0 } from '../support/clock';
import { documentClient, useMockedStore } from '../support/mockedStore';
import { TABLE } from '../support/table';

const { ddb, clock } = useMockedStore();

const HOUR_MS = 3600 * 1000;
/** The hour T0 falls in (T0 is 123 ms into it). */
const T0_HOUR = Math.floor(T0 / HOUR_MS);
const SHARDS = [0, 1, 2, 3, 4, 5, 6, 7];
const DELETE_CONDITION = 'attribute_exists(#id) AND #validUntil <= :now';

/** The exact Query the sweeper sends for one bucket (and one page). */
function bucketQuery(bucket: string, start?: Record<string, unknown>) {
  return {
    TableName: TABLE,
    IndexName: 'byExpiry',
    KeyConditionExpression: '#expiryBucket = :bucket',
    ExpressionAttributeNames: { '#expiryBucket': 'expiryBucket' },
    ExpressionAttributeValues: { ':bucket': bucket },
    ...(start === undefined ? {} : { ExclusiveStartKey: start }),
  };
}

/** The exact conditional DeleteItem the sweeper sends for one listed item, at `now`. */
function conditionalDelete(id: string, now = T0) {
  return {
    TableName: TABLE,
    Key: { id },
    ConditionExpression: DELETE_CONDITION,
    ExpressionAttributeNames: { '#id': 'id', '#validUntil': 'validUntil' },
    ExpressionAttributeValues: { ':now': now },
  };
}

/** Each shard's bucket key of `hour`. */
function bucketsOf(hour: number): string[] {
  return SHARDS.map((shard) => `${hour}.${shard}`);
}

/** The inputs of every Query, in the order sent. */
function queryInputs(): unknown[] {
  return ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
}

/** The inputs of every DeleteItem, in the order sent. */
function deleteInputs(): unknown[] {
  return ddb.commandCalls(DeleteCommand).map((call) => call.args[0].input);
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

/** An index entry as the KEYS_ONLY index gives it: the table key and the bucket. */
const listed = (id: string, bucket: string) => ({ id, expiryBucket: bucket });

const sweep = (options: { lookbackHours?: number; signal?: AbortSignal } = {}) =>
  sweepExpiredSessions({ client: documentClient(), tableName: TABLE, now: clock.now, ...options });

describe('sweepExpiredSessions', () => {
  describe('the buckets', () => {
    it('queries the 8 shards of each hour that has wholly passed, oldest first, and nothing else when they are empty', async () => {
      // Act
      const summary = await sweep({ lookbackHours: 2 });

      // Assess
      expect(summary).toEqual({ buckets: 16, examined: 0, deleted: 0, kept: 0 });
      expect(queryInputs()).toEqual(
        [...bucketsOf(T0_HOUR - 2), ...bucketsOf(T0_HOUR - 1)].map((bucket) => bucketQuery(bucket)),
      );
      expect(ddb.calls()).toHaveLength(16);
    });

    it('sweeps the last 24 hours by default, never the current hour', async () => {
      // Act
      const summary = await sweep();

      // Assess
      const expected = Array.from({ length: 24 }, (_, back) => bucketsOf(T0_HOUR - 24 + back)).flat();
      expect(summary.buckets).toBe(192);
      expect(queryInputs()).toEqual(expected.map((bucket) => bucketQuery(bucket)));
      expect(JSON.stringify(queryInputs())).not.toContain(`"${T0_HOUR}.`);
    });

    it.each([
      ['on the hour: the hour just ended is swept', T0_HOUR * HOUR_MS, T0_HOUR - 1],
      ['a millisecond before: that hour is still the current one', T0_HOUR * HOUR_MS - 1, T0_HOUR - 2],
      ['at the hour’s last millisecond', (T0_HOUR + 1) * HOUR_MS - 1, T0_HOUR - 1],
    ])('%s', async (_label, now, lastSwept) => {
      // Prepare
      clock.value = now;

      // Act
      await sweep({ lookbackHours: 1 });

      // Assess
      expect(queryInputs()).toEqual(bucketsOf(lastSwept).map((bucket) => bucketQuery(bucket)));
    });
  });

  describe('the deletes', () => {
    it('deletes each listed item on condition that it exists and is still expired, at the sweep’s now', async () => {
      // Prepare
      const [first, second] = bucketsOf(T0_HOUR - 1);
      ddb.on(QueryCommand, { ExpressionAttributeValues: { ':bucket': first } }).resolves({
        Items: [listed('id-a', first), listed('id-b', first)],
      });
      ddb.on(QueryCommand, { ExpressionAttributeValues: { ':bucket': second } }).resolves({
        Items: [listed('id-c', second)],
      });
      clock.advance(5000);

      // Act
      const summary = await sweep({ lookbackHours: 1 });

      // Assess
      expect(summary).toEqual({ buckets: 8, examined: 3, deleted: 3, kept: 0 });
      expect(deleteInputs()).toHaveLength(3);
      expect(deleteInputs()).toEqual(
        expect.arrayContaining(['id-a', 'id-b', 'id-c'].map((id) => conditionalDelete(id, T0 + 5000))),
      );
      // A bucket's items in the order listed.
      const ids = deleteInputs().map((input) => (input as { Key: { id: string } }).Key.id);
      expect(ids.indexOf('id-a')).toBeLessThan(ids.indexOf('id-b'));
    });

    it('follows LastEvaluatedKey through every page of a bucket', async () => {
      // Prepare
      const bucket = `${T0_HOUR - 1}.3`;
      const firstPageEnd = { id: 'id-2', expiryBucket: bucket };
      const secondPageEnd = { id: 'id-3', expiryBucket: bucket };
      ddb
        .on(QueryCommand, { ExpressionAttributeValues: { ':bucket': bucket } })
        .resolvesOnce({
          Items: [listed('id-1', bucket), listed('id-2', bucket)],
          LastEvaluatedKey: firstPageEnd,
        })
        .resolvesOnce({ Items: [listed('id-3', bucket)], LastEvaluatedKey: secondPageEnd })
        .resolvesOnce({ Items: [] });

      // Act
      const summary = await sweep({ lookbackHours: 1 });

      // Assess
      expect(summary).toEqual({ buckets: 8, examined: 3, deleted: 3, kept: 0 });
      const ofBucket = queryInputs().filter(
        (input) =>
          (input as { ExpressionAttributeValues: Record<string, string> }).ExpressionAttributeValues[
            ':bucket'
          ] === bucket,
      );
      expect(ofBucket).toEqual([
        bucketQuery(bucket),
        bucketQuery(bucket, firstPageEnd),
        bucketQuery(bucket, secondPageEnd),
      ]);
      expect(deleteInputs()).toEqual(['id-1', 'id-2', 'id-3'].map((id) => conditionalDelete(id)));
    });

    it('counts an item whose condition fails (refreshed since, or gone) as kept, and goes on', async () => {
      // Prepare
      const bucket = `${T0_HOUR - 1}.0`;
      ddb.on(QueryCommand, { ExpressionAttributeValues: { ':bucket': bucket } }).resolves({
        Items: [listed('refreshed', bucket), listed('expired', bucket), listed('gone', bucket)],
      });
      ddb.on(DeleteCommand, { Key: { id: 'refreshed' } }).rejects(conditionFailed());
      ddb.on(DeleteCommand, { Key: { id: 'gone' } }).rejects(conditionFailed());

      // Act
      const summary = await sweep({ lookbackHours: 1 });

      // Assess
      expect(summary).toEqual({ buckets: 8, examined: 3, deleted: 1, kept: 2 });
      expect(deleteInputs()).toEqual(['refreshed', 'expired', 'gone'].map((id) => conditionalDelete(id)));
    });
  });

  describe('failures', () => {
    it.each([
      [
        'a throttled delete',
        () => new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }),
        DeleteCommand,
      ],
      [
        'a query of a missing index or table',
        () => new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }),
        QueryCommand,
      ],
    ] as const)(
      'rejects with %s, as the SDK gave it, and sends nothing more',
      async (_label, make, failing) => {
        // Prepare: the first bucket of 192 lists two items
        const error = make();
        const first = `${T0_HOUR - 24}.0`;
        ddb.on(QueryCommand, { ExpressionAttributeValues: { ':bucket': first } }).resolves({
          Items: [listed('id-a', first), listed('id-b', first)],
        });
        if (failing === DeleteCommand) ddb.on(DeleteCommand).rejects(error);
        else
          ddb
            .on(QueryCommand, { ExpressionAttributeValues: { ':bucket': `${T0_HOUR - 24}.5` } })
            .rejects(error);

        // Act
        const failure = sweep({ lookbackHours: 24 });

        // Assess
        await expect(failure).rejects.toBe(error);
        const sent = ddb.calls().length;
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(ddb.calls()).toHaveLength(sent); // nothing sent after the sweep settled
        expect(queryInputs().length).toBeLessThan(192); // the buckets not yet started were never queried
        if (failing === DeleteCommand) expect(deleteInputs()).toEqual([conditionalDelete('id-a')]);
      },
    );

    it('sends nothing once the signal is aborted, and rejects with its reason', async () => {
      // Prepare
      const controller = new AbortController();
      const reason = new Error('deadline');
      controller.abort(reason);

      // Act / Assess
      await expect(sweep({ signal: controller.signal })).rejects.toBe(reason);
      expect(ddb.calls()).toHaveLength(0);
    });

    it('stops at the next request when the signal is aborted during the sweep', async () => {
      // Prepare
      const controller = new AbortController();
      const reason = new Error('deadline');
      ddb.on(QueryCommand).callsFake(async () => {
        controller.abort(reason);
        return { Items: [] };
      });

      // Act / Assess
      await expect(sweep({ lookbackHours: 24, signal: controller.signal })).rejects.toBe(reason);
      expect(queryInputs().length).toBeLessThanOrEqual(8); // the first round, already under way
    });
  });

  it('keeps at most 8 requests in flight', async () => {
    // Prepare: every query takes a turn of the event loop, listing one item
    let inFlight = 0;
    let most = 0;
    const slow = async <T>(answer: T): Promise<T> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return answer;
    };
    let counter = 0;
    ddb.on(QueryCommand).callsFake(() => slow({ Items: [listed(`id-${counter++}`, 'any')] }));
    ddb.on(DeleteCommand).callsFake(() => slow({}));

    // Act
    const summary = await sweep({ lookbackHours: 4 });

    // Assess
    expect(summary).toEqual({ buckets: 32, examined: 32, deleted: 32, kept: 0 });
    expect(most).toBe(8);
  });

  it.each([
    [{ lookbackHours: 0 }, /^lookbackHours: expected a whole number from 1 to 8784, got 0$/],
    [{ lookbackHours: 1.5 }, /^lookbackHours: /],
    [{ lookbackHours: 8785 }, /^lookbackHours: /],
    [{ tableName: '' }, /^tableName: /],
    [{ client: {} }, /^client: /],
  ])('refuses %j before sending anything', async (options, message) => {
    // Act
    const sweeping = sweepExpiredSessions({
      client: documentClient(),
      tableName: TABLE,
      ...(options as object),
    });

    // Assess
    await expect(sweeping).rejects.toThrow(TypeError);
    await expect(sweeping).rejects.toThrow(message);
    expect(ddb.calls()).toHaveLength(0);
  });
});
