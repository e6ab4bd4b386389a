import { PERMANENT_ATTRIBUTE, SEALED_ATTRIBUTE, TABLE_SCHEMA } from '../constants.js';

/**
 * Every item attribute the store's expressions name, by the placeholder they name it with: the
 * one map of the table's attribute names, for `SessionStore` and `UserSessions` alike.
 */
export const ATTRIBUTES = {
  '#id': TABLE_SCHEMA.partitionKey,
  '#ttl': TABLE_SCHEMA.ttlAttribute,
  '#owner': TABLE_SCHEMA.ownerIndex.partitionKey,
  '#refreshedAt': TABLE_SCHEMA.ownerIndex.sortKey,
  '#publicId': 'publicId',
  '#device': 'device',
  '#createdAt': 'createdAt',
  '#validUntil': 'validUntil',
  '#sealed': SEALED_ATTRIBUTE,
  '#permanent': PERMANENT_ATTRIBUTE,
  '#expiryBucket': TABLE_SCHEMA.expiryIndex.partitionKey,
} as const;

/**
 * The `ExpressionAttributeNames` for the placeholders `expressions` use, and no other: DynamoDB
 * refuses a name no expression uses. Placeholders not in `ATTRIBUTES` (a sealed value's `#k0`)
 * are the caller's to add.
 * @example attributeNames('#owner = :owner', '#publicId'); // { '#owner': 'owner', '#publicId': 'publicId' }
 */
export function attributeNames(...expressions: string[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const placeholder of expressions.join(' ').match(/#\w+/g) ?? []) {
    if (Object.hasOwn(ATTRIBUTES, placeholder))
      names[placeholder] = ATTRIBUTES[placeholder as keyof typeof ATTRIBUTES];
  }
  return names;
}
