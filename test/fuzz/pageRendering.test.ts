import fc from 'fast-check';
import { html } from '../../lambda/http/html';
import { errorPage, indexPage, loginPage } from '../../lambda/http/pages';
import { fuzz, textWith } from './fuzz';

// Page rendering never emits an unescaped `<` (or any other markup character) from user data:
// rendered with user text, a page is the same page rendered with a plain marker, the marker
// replaced by markup-free text that decodes back to exactly the user's text.

/** User text: anything, with markup, entities and quotes over-represented. */
const userText = textWith([
  '<',
  '>',
  '&',
  '"',
  "'",
  '<script>',
  '</p>',
  '<!--',
  '&lt;',
  '&amp;',
  '&#39;',
  '`',
  '=',
  '/',
  '\0',
  '\u2028',
]);

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

/** The user's text back from the rendered slot, or undefined if the slot holds markup. */
function decodeSlot(slot: string): string | undefined {
  if (/[<>"']/.test(slot)) return undefined;
  const parts = slot.split(/(&[^;]*;)/);
  let text = '';
  for (const [i, part] of parts.entries()) {
    if (i % 2 === 0) {
      if (part.includes('&')) return undefined; // a bare `&`: not produced by escaping
      text += part;
    } else {
      const char = ENTITIES[part];
      if (char === undefined) return undefined;
      text += char;
    }
  }
  return text;
}

/**
 * True when `page` is `template` with each marker replaced by its value, escaped: the markers
 * split the template into fixed parts the page must repeat exactly, and each slot between them
 * must decode to its value.
 */
function rendersEscaped(
  page: string,
  template: string,
  slots: ReadonlyArray<[marker: string, value: string]>,
) {
  let rest = template;
  let at = 0;
  for (const [marker, value] of slots) {
    const index = rest.indexOf(marker);
    if (index < 0) return false;
    const fixed = rest.slice(0, index);
    if (!page.startsWith(fixed, at)) return false;
    at += fixed.length;
    rest = rest.slice(index + marker.length);
    // The slot ends where the next fixed part starts; fixed parts always begin with markup.
    const next = rest.search(/[<"]/);
    const end = page.indexOf(rest.slice(0, next + 1), at);
    if (end < 0 || decodeSlot(page.slice(at, end)) !== value) return false;
    at = end;
  }
  return page.slice(at) === rest;
}

const M1 = 'MARKERONE';
const M2 = 'MARKERTWO';

describe('page rendering', () => {
  it('indexPage shows any username as text', () => {
    fuzz(
      fc.property(userText, (username) =>
        rendersEscaped(indexPage(username), indexPage(M1), [[M1, username]]),
      ),
    );
  });

  it('loginPage shows any username (an attribute) and any error message as text', () => {
    fuzz(
      fc.property(userText, userText.filter(Boolean), (username, error) =>
        rendersEscaped(loginPage({ username, error }), loginPage({ username: M1, error: M2 }), [
          [M1, username],
          [M2, error],
        ]),
      ),
    );
  });

  it('errorPage shows any message as text, whatever the status', () => {
    fuzz(
      fc.property(fc.integer({ min: 100, max: 599 }), userText, (status, message) =>
        rendersEscaped(errorPage(status, message), errorPage(status, M1), [[M1, message]]),
      ),
    );
  });

  it('html`` escapes strings, numbers and arrays of them', () => {
    const value = fc.oneof(userText, fc.integer(), fc.array(userText, { maxLength: 4 }));
    fuzz(
      fc.property(value, (data) => {
        const slot = html`<p>${data}</p>`.value.slice('<p>'.length, -'</p>'.length);
        return decodeSlot(slot) === (Array.isArray(data) ? data.join('') : String(data));
      }),
    );
  });
});
