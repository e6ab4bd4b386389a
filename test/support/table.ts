import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  ScanCommand as DocumentScanCommand,
  type DynamoDBDocumentClient,
  GetCommand,
} from '@aws-sdk/lib-dynamodb';

/** The sessions table of the tests (TABLE_NAME, set by test/support/env.ts). */
export const TABLE = process.env.TABLE_NAME ?? 'sessions-test';

/** A table read directly, behind the app's back: what `useStore()` hands out. */
export interface TableAccess {
  tableName: string;
  /** Attribute-value form. */
  client: DynamoDBClient;
  /** Unmarshalled form. */
  documents: DynamoDBDocumentClient;
}

/** The item with this id, read directly (strongly consistent), unmarshalled. */
export async function getItem(db: TableAccess, id: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await db.documents.send(
    new GetCommand({ TableName: db.tableName, Key: { id }, ConsistentRead: true }),
  );
  return Item;
}

/** The item with this id in DynamoDB's attribute-value form. */
export async function getRawItem(
  db: TableAccess,
  id: string,
): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await db.client.send(
    new GetItemCommand({ TableName: db.tableName, Key: { id: { S: id } }, ConsistentRead: true }),
  );
  return Item;
}

/** Every item in the table, in attribute-value form (the test may scan; the app never does). */
export function scanRaw(db: TableAccess): Promise<Record<string, AttributeValue>[]> {
  return everyPage((start: Record<string, AttributeValue> | undefined) =>
    db.client.send(
      new ScanCommand({ TableName: db.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    ),
  );
}

/** Every item in the table, unmarshalled. */
export function scanItems(db: TableAccess): Promise<Record<string, unknown>[]> {
  return everyPage((start: Record<string, unknown> | undefined) =>
    db.documents.send(
      new DocumentScanCommand({ TableName: db.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    ),
  );
}

/** The items of every page of a scan, in order; `scanPage` gets the key to start after. */
async function everyPage<Item, Key>(
  scanPage: (start: Key | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Key }>,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Key | undefined;
  do {
    const page = await scanPage(start);
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}
