import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import connectDynamoDB from 'connect-dynamodb';
import session from 'express-session';

/**
 * Creates the table connect-dynamodb expects, with connect-dynamodb's own `initialize()`
 * (DescribeTable, then CreateTable with its key schema: hash key `id`, string), and waits until
 * it is ACTIVE. A set-up step (the deployed peer would get its table from the stack), run before
 * anything is timed.
 * @example await createPeerTable(client, 'peer-sessions');
 */
export async function createPeerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const DynamoDBStore = connectDynamoDB(session);
  await new DynamoDBStore({ client, table: tableName }).initialize();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE in time`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
