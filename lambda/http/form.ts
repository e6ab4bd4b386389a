import { HttpError } from './HttpError.js';
import type { HttpRequest } from './request.js';

/** Login forms are tiny; anything larger is refused before parsing. */
export const MAX_FORM_BYTES = 8 * 1024;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
// ignoreBOM: keep a leading U+FEFF. By default TextDecoder drops it, so `%EF%BB%BFusername` would
// silently become `username` (and a BOM-prefixed value would lose a character the username check refuses).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Malformed form data; the message is safe to show. */
export class FormParseError extends Error {}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Strictly decodes one name or value: `+` is a space, `%XX` a byte, the bytes must be UTF-8. */
function decodeComponent(bytes: Buffer): string {
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === 0x25) {
      const high = hexValue(bytes[i + 1] ?? -1);
      const low = hexValue(bytes[i + 2] ?? -1);
      if (high < 0 || low < 0) throw new FormParseError('malformed percent-encoding');
      out[length++] = high * 16 + low;
      i += 2;
    } else if (byte < 0x20 || byte > 0x7e) {
      throw new FormParseError('form data must be URL-encoded ASCII');
    } else {
      out[length++] = byte === 0x2b ? 0x20 : byte;
    }
  }
  try {
    return utf8.decode(out.subarray(0, length));
  } catch {
    throw new FormParseError('form data is not valid UTF-8');
  }
}

/**
 * Parses `application/x-www-form-urlencoded` bytes strictly. Throws only `FormParseError`
 * (bad encoding, invalid UTF-8, a field given twice).
 * @example parseUrlEncoded(Buffer.from('username=admin')).get('username'); // 'admin'
 */
export function parseUrlEncoded(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x26, start);
    if (end < 0) end = body.length;
    const pair = body.subarray(start, end);
    start = end + 1;
    if (pair.length === 0) continue;
    const equals = pair.indexOf(0x3d);
    const name = decodeComponent(equals < 0 ? pair : pair.subarray(0, equals));
    const value = equals < 0 ? '' : decodeComponent(pair.subarray(equals + 1));
    if (fields.has(name)) throw new FormParseError(`the field "${name}" was sent more than once`);
    fields.set(name, value);
  }
  return fields;
}

/**
 * The request's form fields, or an `HttpError`: 415 for another content type (or charset),
 * 413 over the size limit, 400 for malformed data.
 */
export function readForm(request: HttpRequest): Map<string, string> {
  const [mediaType, ...params] = (request.headers['content-type'] ?? '').split(';');
  const charset = params
    .map((param) => param.trim().toLowerCase())
    .find((param) => param.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (
    mediaType.trim().toLowerCase() !== FORM_CONTENT_TYPE ||
    (charset !== undefined && charset !== 'utf-8')
  ) {
    throw new HttpError(415, `Send the form as ${FORM_CONTENT_TYPE} (UTF-8).`);
  }
  if (request.body.length > MAX_FORM_BYTES) {
    throw new HttpError(413, `The form is larger than ${MAX_FORM_BYTES} bytes.`);
  }
  try {
    return parseUrlEncoded(request.body);
  } catch (error) {
    if (error instanceof FormParseError)
      throw new HttpError(400, `The form could not be read: ${error.message}.`);
    throw error;
  }
}

/** What a checked checkbox sends: HTML's default value, which the app's forms keep. */
export const CHECKBOX_ON = 'on';

/**
 * A checkbox field of a read form: absent is unchecked, `on` checked. Anything else (which no
 * browser sends for the app's forms) is an `HttpError` 400 naming the field.
 * @example readCheckbox(readForm(request), 'remember'); // true when the box was ticked
 */
export function readCheckbox(form: ReadonlyMap<string, string>, name: string): boolean {
  const value = form.get(name);
  if (value === undefined) return false;
  if (value === CHECKBOX_ON) return true;
  throw new HttpError(400, `The field "${name}" is a checkbox: send "${CHECKBOX_ON}" or leave it out.`);
}
