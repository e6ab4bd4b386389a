import fc from 'fast-check';
import { FormParseError, MAX_FORM_BYTES, parseUrlEncoded, readForm } from '../../lambda/http/form';
import { HttpError } from '../../lambda/http/HttpError';
import type { HttpRequest } from '../../lambda/http/request';
import { fuzz, textWith } from './fuzz';

// The form parser never throws anything but its own errors, whatever the bytes, and reads back
// every valid encoding of every form.

/** Pieces that steer random bodies into the parser's corners: escapes, UTF-8 edges, separators. */
const FORM_PIECES = [
  '%',
  '=',
  '&',
  '+',
  'a',
  'F',
  '4',
  '%4',
  '%41',
  '%2B',
  '%C3',
  '%A9',
  '%C3%A9',
  '%E2%82',
  '%E2%82%AC',
  '%F0%9F%98%80',
  '%F4%90%80%80', // above U+10FFFF
  '%ED%A0%80', // an encoded surrogate
  '%C0%AF', // overlong
  '%EF%BB%BF', // a byte order mark
  '%FF',
  '%00',
  '%zz',
  'username',
];
const formShapedBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...FORM_PIECES) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((byte) => String.fromCharCode(byte)) },
      ),
      { maxLength: 60 },
    )
    .map((pieces) => Buffer.from(pieces.join(''), 'latin1')),
);

/** Field names and values: any Unicode text, with the characters that need encoding over-represented. */
const fieldText = textWith(['\uFEFF', '+', '%', '&', '=', ' ', ';', '\0', '\n', '~', 'é', '😀', '\u2028']);
const fields = fc.uniqueArray(fc.tuple(fieldText, fieldText), {
  selector: ([name]) => name,
  maxLength: 6,
});

/** What the parser returned, comparable. */
function entriesOf(form: Map<string, string>): string {
  return JSON.stringify([...form]);
}

/**
 * One legal encoding of `text`, chosen by `choices`: `+`, `%20` or a raw space for a space,
 * upper- or lower-case hex, and unreserved ASCII either raw or escaped.
 */
function encodeComponent(text: string, choices: readonly number[], offset = 0): string {
  let out = '';
  let n = offset;
  for (const byte of Buffer.from(text, 'utf8')) {
    const choice = choices[n++ % choices.length];
    const hex = byte.toString(16).padStart(2, '0');
    const escaped = `%${choice % 2 === 0 ? hex.toUpperCase() : hex}`;
    const char = String.fromCharCode(byte);
    if (byte === 0x20) out += ['+', ' ', escaped][choice % 3];
    else if (byte > 0x20 && byte < 0x7f && !'%&+='.includes(char) && choice % 4 !== 0) out += char;
    else out += escaped;
  }
  return out;
}

function formRequest(body: Buffer, contentType: string | undefined): HttpRequest {
  return {
    method: 'POST',
    path: '/login',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    cookies: [],
    body,
    requestId: 'fuzz',
    secure: true,
  };
}

describe('parseUrlEncoded', () => {
  it('throws nothing but FormParseError on arbitrary bytes', () => {
    fuzz(
      fc.property(formShapedBytes, (body) => {
        try {
          parseUrlEncoded(body);
        } catch (error) {
          if (!(error instanceof FormParseError)) throw error;
        }
      }),
    );
  });

  it('reads back what URLSearchParams (a browser) encodes', () => {
    fuzz(
      fc.property(fields, (pairs) => {
        const body = Buffer.from(new URLSearchParams(pairs).toString(), 'latin1');
        return entriesOf(parseUrlEncoded(body)) === JSON.stringify(pairs);
      }),
    );
  });

  it('reads back every legal encoding: either hex case, + or %20, raw or escaped ASCII, empty pairs', () => {
    fuzz(
      fc.property(fields, fc.array(fc.nat(11), { minLength: 1, maxLength: 32 }), (pairs, choices) => {
        // Prepare: `&&` (an empty pair) wherever the choices say so.
        const body = pairs
          .map(([name, value], i) => {
            const separator = choices[i % choices.length] === 0 ? '&&' : '&';
            return `${encodeComponent(name, choices)}=${encodeComponent(value, choices, i + 1)}${separator}`;
          })
          .join('');

        // Act
        const form = parseUrlEncoded(Buffer.from(body, 'latin1'));

        // Assess
        return entriesOf(form) === JSON.stringify(pairs);
      }),
    );
  });

  it('gives the same fields again when what it accepted is re-encoded', () => {
    fuzz(
      fc.property(formShapedBytes, (body) => {
        let form: Map<string, string>;
        try {
          form = parseUrlEncoded(body);
        } catch (error) {
          if (error instanceof FormParseError) return true;
          throw error;
        }
        const again = parseUrlEncoded(Buffer.from(new URLSearchParams([...form]).toString(), 'latin1'));
        return entriesOf(again) === entriesOf(form);
      }),
    );
  });
});

describe('readForm', () => {
  const contentType = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=utf-8',
      'APPLICATION/X-WWW-FORM-URLENCODED;charset="UTF-8"',
      'application/x-www-form-urlencoded; charset=latin1',
      'multipart/form-data; boundary=x',
    ),
    textWith(['application/x-www-form-urlencoded', ';', 'charset=', '"', ' ', 'utf-8', ',']),
  );
  const body = fc.oneof(
    { weight: 5, arbitrary: formShapedBytes },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: MAX_FORM_BYTES - 2, max: MAX_FORM_BYTES + 2 })
        .map((size) => Buffer.alloc(size, 'a')),
    },
  );

  it('throws only HttpError 400, 413 or 415, and 413/415 only for size and type', () => {
    fuzz(
      fc.property(body, contentType, (bytes, type) => {
        try {
          readForm(formRequest(bytes, type));
          return true;
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          if (error.status === 413) return bytes.length > MAX_FORM_BYTES;
          if (error.status === 415) return type !== 'application/x-www-form-urlencoded';
          return error.status === 400 && bytes.length <= MAX_FORM_BYTES;
        }
      }),
    );
  });
});
