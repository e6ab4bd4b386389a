import {
  CHECKBOX_ON,
  FormParseError,
  MAX_FORM_BYTES,
  parseUrlEncoded,
  readCheckbox,
  readForm,
} from '../../lambda/http/form';
import { HttpError } from '../../lambda/http/HttpError';
import type { HttpRequest } from '../../lambda/http/request';

function parse(text: string): Record<string, string> {
  return Object.fromEntries(parseUrlEncoded(Buffer.from(text, 'latin1')));
}

function formRequest(body: string | Buffer, contentType?: string): HttpRequest {
  return {
    method: 'POST',
    path: '/login',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    cookies: [],
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    requestId: 'req-1',
    secure: true,
  };
}

function httpErrorOf(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('parseUrlEncoded', () => {
  it('reads name=value pairs', () => {
    expect(parse('username=admin&theme=dark')).toEqual({ username: 'admin', theme: 'dark' });
  });

  it('turns + into a space', () => {
    expect(parse('username=Ada+Lovelace')).toEqual({ username: 'Ada Lovelace' });
  });

  it('decodes %XX in either case, including %2B as a literal plus', () => {
    expect(parse('a=%41%2b%2B%20%26%3d')).toEqual({ a: 'A++ &=' });
  });

  it('decodes multi-byte UTF-8', () => {
    expect(parse('username=J%C3%BCrgen+%E6%97%A5%E6%9C%AC+%F0%9F%98%80')).toEqual({
      username: 'Jürgen 日本 😀',
    });
  });

  it('decodes names too', () => {
    expect(parse('user%6Eame=x')).toEqual({ username: 'x' });
  });

  it('matches URLSearchParams on what a browser sends', () => {
    const body = new URLSearchParams({ username: 'Zoë & <friends> + 100% 😀' }).toString();
    expect(parse(body)).toEqual({ username: 'Zoë & <friends> + 100% 😀' });
  });

  it('skips empty pairs and gives a name without = an empty value', () => {
    expect(parse('&&a=1&&b&')).toEqual({ a: '1', b: '' });
  });

  it('returns nothing for an empty body', () => {
    expect(parseUrlEncoded(Buffer.alloc(0)).size).toBe(0);
  });

  it('keeps an = inside a value', () => {
    expect(parse('a=b=c')).toEqual({ a: 'b=c' });
  });

  it.each([
    ['a lone %', 'a=%'],
    ['one hex digit', 'a=%4'],
    ['a trailing one-digit escape', 'a=x%4'],
    ['non-hex digits', 'a=%zz'],
    ['a half-hex escape', 'a=%4g'],
    ['% in a name', '%=1'],
    ['%-sign followed by a plus', 'a=%+1'],
  ])('refuses malformed percent-encoding: %s', (_label, body) => {
    expect(() => parse(body)).toThrow(FormParseError);
  });

  it.each([
    ['a lone continuation byte', 'a=%80'],
    ['a 0xFF byte', 'a=%FF'],
    ['a bad second byte', 'a=%C3%28'],
    ['a truncated sequence', 'a=%E6%97'],
    ['an overlong encoding', 'a=%C0%AF'],
    ['an encoded surrogate', 'a=%ED%A0%80'],
    ['a code point above U+10FFFF', 'a=%F4%90%80%80'],
  ])('refuses invalid UTF-8: %s', (_label, body) => {
    expect(() => parse(body)).toThrow(FormParseError);
  });

  it.each([
    ['raw UTF-8 bytes', Buffer.from('username=Jürgen', 'utf8')],
    ['a raw latin-1 byte', Buffer.from([0x61, 0x3d, 0xe9])],
    ['a raw 0x7F', Buffer.from('a=\u007f', 'latin1')],
    ['a raw NUL', Buffer.from('a=\u0000', 'latin1')],
    ['a raw tab', Buffer.from('a=\t', 'latin1')],
    ['a raw newline', Buffer.from('a=1\n', 'latin1')],
    ['a raw carriage return in a name', Buffer.from('a\r=1', 'latin1')],
  ])('refuses raw bytes that are not URL-encoded ASCII: %s', (_label, body) => {
    expect(() => parseUrlEncoded(body)).toThrow(FormParseError);
  });

  it('refuses a field sent twice', () => {
    expect(() => parse('username=a&username=b')).toThrow(FormParseError);
  });

  it('refuses a field sent twice under different encodings of its name', () => {
    expect(() => parse('username=a&user%6Eame=b')).toThrow(FormParseError);
  });

  it('keeps a leading U+FEFF (byte order mark) in names and values instead of dropping it', () => {
    // TextDecoder drops a leading BOM by default: "%EF%BB%BFusername" used to read as "username".
    expect(parse('%EF%BB%BFusername=%EF%BB%BFadmin')).toEqual({ '\uFEFFusername': '\uFEFFadmin' });
    expect(parse('a=1&%EF%BB%BFa=2')).toEqual({ a: '1', '\uFEFFa': '2' });
  });

  it('throws only FormParseError', () => {
    // Prepare: every single byte as a body, and a few escapes
    const bodies = [
      ...Array.from({ length: 256 }, (_, byte) => Buffer.from([0x61, 0x3d, byte])),
      ...Array.from({ length: 256 }, (_, byte) => Buffer.from(`a=%${byte.toString(16).padStart(2, '0')}`)),
    ];

    // Act
    const unexpected = bodies.flatMap((body) => {
      try {
        parseUrlEncoded(body);
        return [];
      } catch (error) {
        return error instanceof FormParseError ? [] : [error];
      }
    });

    // Assess
    expect(unexpected).toEqual([]);
  });
});

describe('readForm', () => {
  it('returns the fields of a urlencoded form', () => {
    const form = readForm(formRequest('username=admin', 'application/x-www-form-urlencoded'));
    expect(form.get('username')).toBe('admin');
  });

  it.each([
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded;charset=UTF-8',
    'Application/X-WWW-Form-Urlencoded',
    'application/x-www-form-urlencoded; charset="utf-8"',
  ])('accepts content-type %j', (contentType) => {
    expect(readForm(formRequest('username=admin', contentType)).get('username')).toBe('admin');
  });

  it.each([
    ['JSON', 'application/json'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['text', 'text/plain'],
    ['a missing type', undefined],
    ['an empty type', ''],
    ['charset=latin1', 'application/x-www-form-urlencoded; charset=latin1'],
    ['charset=iso-8859-1', 'application/x-www-form-urlencoded; charset=iso-8859-1'],
    ['a look-alike type', 'application/x-www-form-urlencoded-evil'],
  ])('refuses %s with 415', (_label, contentType) => {
    const error = httpErrorOf(() => readForm(formRequest('{"username":"admin"}', contentType)));
    expect(error.status).toBe(415);
  });

  it(`accepts exactly ${MAX_FORM_BYTES} bytes`, () => {
    // Prepare
    const body = `username=${'a'.repeat(MAX_FORM_BYTES - 'username='.length)}`;
    expect(body).toHaveLength(MAX_FORM_BYTES);

    // Act & Assess
    expect(readForm(formRequest(body, 'application/x-www-form-urlencoded')).get('username')).toHaveLength(
      MAX_FORM_BYTES - 9,
    );
  });

  it(`refuses more than ${MAX_FORM_BYTES} bytes with 413`, () => {
    const body = `username=${'a'.repeat(MAX_FORM_BYTES)}`;
    expect(httpErrorOf(() => readForm(formRequest(body, 'application/x-www-form-urlencoded'))).status).toBe(
      413,
    );
  });

  it(`refuses ${MAX_FORM_BYTES + 1} bytes with 413`, () => {
    const body = `username=${'a'.repeat(MAX_FORM_BYTES + 1 - 'username='.length)}`;
    expect(httpErrorOf(() => readForm(formRequest(body, 'application/x-www-form-urlencoded'))).status).toBe(
      413,
    );
  });

  it('checks the size before parsing (a huge malformed body is 413, not 400)', () => {
    const body = `a=%${'%'.repeat(MAX_FORM_BYTES)}`;
    expect(httpErrorOf(() => readForm(formRequest(body, 'application/x-www-form-urlencoded'))).status).toBe(
      413,
    );
  });

  it.each([
    ['malformed percent-encoding', 'username=%'],
    ['invalid UTF-8', 'username=%C3%28'],
    ['a duplicate field', 'username=a&username=b'],
    ['raw non-ASCII', Buffer.from('username=é', 'utf8')],
  ])('refuses %s with 400', (_label, body) => {
    // Act
    const error = httpErrorOf(() => readForm(formRequest(body, 'application/x-www-form-urlencoded')));

    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^The form could not be read: /);
  });
});

describe('readCheckbox', () => {
  const form = (body: string) => readForm(formRequest(body, 'application/x-www-form-urlencoded'));

  it('reads a ticked box (what a browser sends: "on") as true', () => {
    expect(CHECKBOX_ON).toBe('on');
    expect(readCheckbox(form('username=admin&remember=on'), 'remember')).toBe(true);
  });

  it('reads a box left out (unticked: a browser sends nothing) as false', () => {
    expect(readCheckbox(form('username=admin'), 'remember')).toBe(false);
  });

  it.each([
    ['an empty value', 'remember='],
    ['a name without =', 'remember'],
    ['"true"', 'remember=true'],
    ['"1"', 'remember=1'],
    ['"On"', 'remember=On'],
    ['"on" with a space', 'remember=on+'],
    ['markup', 'remember=%3Cb%3E'],
  ])('refuses %s with a 400 that names the field', (_label, body) => {
    // Act
    const error = httpErrorOf(() => readCheckbox(form(`username=admin&${body}`), 'remember'));

    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toBe('The field "remember" is a checkbox: send "on" or leave it out.');
  });

  it('a box sent twice is refused by readForm already (a duplicate field)', () => {
    expect(httpErrorOf(() => form('remember=on&remember=on')).status).toBe(400);
  });
});
