import { KeyRing } from '../../lambda/session/src/keys/KeyRing';
import { type ClearFields, SessionSeal } from '../../lambda/session/src/SessionSeal';
import { CURRENT_KEY } from './keys';

/**
 * The ring whose current key MACs the clear fields of the items tests forge: CURRENT_KEY, the key
 * the mocked managers (`managerWith`, `handlerContext`) sign with, so their loads accept them.
 */
export const testRing = new KeyRing([CURRENT_KEY]);

/**
 * A seal for `token`, whose clear fields' MAC is made with `ring`'s current key, as the library's
 * (`new SessionSeal(token, keyRing)`): values seal and open from the token alone.
 * @example sealFor(token).openAll(item.sealed)
 */
export function sealFor(token: string, ring: KeyRing = testRing): SessionSeal {
  return new SessionSeal(token, ring);
}

/**
 * `item` with the MAC of its clear fields computed for `token`'s item under `ring`'s current key
 * (the key the test's manager signs with), as the library writes it: for a test that forges an
 * item, or changes one as the library would (a time moved back), and must still have it read. A
 * field the test changes after this call breaks the MAC, as a writer's would.
 * @example bound({ ...item, refreshedAt: item.refreshedAt - 1800_000 }, tokenOf(cookie))
 */
export function bound<Item extends ClearFields>(
  item: Item,
  token: string,
  ring: KeyRing = testRing,
): Item & { mac: string } {
  return { ...item, mac: sealFor(token, ring).fieldsMac(item) };
}

/**
 * The data an item read from the table holds, opened with the session's token as the library
 * opens it; throws when a value does not open or the item holds no sealed map.
 * @example expect(openedData(await getItem(db, itemIdOf(cookie)), tokenOf(cookie))).toEqual({ username: 'admin' });
 */
export function openedData(
  item: Record<string, unknown> | undefined,
  token: string,
): Record<string, unknown> {
  const sealed = item?.sealed as Record<string, Uint8Array> | undefined;
  if (sealed === undefined) throw new Error('no sealed map in the item');
  const { data, rejected } = sealFor(token).openAll(sealed);
  if (rejected > 0) throw new Error(`${rejected} sealed values did not open`);
  return { ...data };
}

/**
 * Everything raw items (attribute-value form) hold, as searchable text: their JSON, plus every
 * binary value decoded byte for byte, so plain text hidden in a binary attribute shows too.
 * @example expect(rawText(await scanRaw(db))).not.toContain('admin');
 */
export function rawText(items: readonly unknown[]): string {
  const binaries: string[] = [];
  const json = JSON.stringify(items, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      binaries.push(Buffer.from(value).toString('latin1'));
      return '<binary>';
    }
    return value;
  });
  return [json, ...binaries].join('\n');
}
