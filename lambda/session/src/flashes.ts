import { DEFAULT_FLASH_CATEGORY } from './constants.js';

/** A message for the next page the user sees, as Flask's `flash()` records it. */
export interface FlashMessage {
  /** Flask's category: `'message'` unless given (`'error'`, `'info'`, … as the app likes). */
  category: string;
  message: string;
}

/** Longest flash message and category, in characters: a flash is a line on a page, not storage. */
const MAX_MESSAGE_LENGTH = 1024;
const MAX_CATEGORY_LENGTH = 64;
/** Flashes one session holds at most: more, unread, is a loop in the app. */
export const MAX_FLASHES = 32;

/** The flash `flash(message, category)` records, or a `TypeError` naming what is wrong. */
export function flashOf(message: unknown, category: unknown = DEFAULT_FLASH_CATEGORY): FlashMessage {
  if (typeof message !== 'string' || message === '' || message.length > MAX_MESSAGE_LENGTH) {
    throw new TypeError(`flash message: expected a string of 1 to ${MAX_MESSAGE_LENGTH} characters`);
  }
  if (typeof category !== 'string' || category === '' || category.length > MAX_CATEGORY_LENGTH) {
    throw new TypeError(`flash category: expected a string of 1 to ${MAX_CATEGORY_LENGTH} characters`);
  }
  return { category, message };
}

/**
 * The flashes a stored value holds, or undefined when it is not a list of flashes (the library
 * never writes one: read as absent and counted, like any value that fails its schema).
 */
export function storedFlashes(value: unknown): FlashMessage[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_FLASHES) return undefined;
  const flashes: FlashMessage[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return undefined;
    try {
      flashes.push(flashOf((item as FlashMessage).message, (item as FlashMessage).category));
    } catch {
      return undefined;
    }
  }
  return flashes;
}
