import { validateUsername } from '../../lambda/app/username';

describe('validateUsername', () => {
  it('accepts and trims a name', () => {
    expect(validateUsername('  admin \t')).toEqual({ ok: true, username: 'admin' });
  });

  it.each([
    ['a leading BOM', '\ufeffadmin'],
    ['a trailing BOM', 'admin\ufeff'],
    ['a trailing line separator', 'admin\u2028'],
    ['a leading paragraph separator', '\u2029admin'],
  ])('refuses %s instead of trimming it away', (_label, raw) => {
    expect(validateUsername(raw)).toEqual({
      ok: false,
      error: 'The username contains characters that are not allowed.',
    });
  });

  it('trims Unicode spaces at the ends (no-break, em, ideographic)', () => {
    expect(validateUsername('\u00a0admin\u2003\u3000')).toEqual({ ok: true, username: 'admin' });
  });

  it('keeps inner spaces and non-ASCII letters', () => {
    expect(validateUsername('Zoë Jürgen 日本')).toEqual({ ok: true, username: 'Zoë Jürgen 日本' });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['spaces', '   '],
    ['whitespace of all kinds', ' \t\n\u00a0\u2003\u3000'],
  ])('refuses %s', (_label, raw) => {
    expect(validateUsername(raw)).toEqual({ ok: false, error: 'Enter a username.' });
  });

  it('accepts 1 and 64 characters', () => {
    expect(validateUsername('a')).toEqual({ ok: true, username: 'a' });
    expect(validateUsername('a'.repeat(64))).toEqual({ ok: true, username: 'a'.repeat(64) });
  });

  it('refuses 65 characters', () => {
    expect(validateUsername('a'.repeat(65))).toEqual({ ok: false, error: 'Use at most 64 characters.' });
  });

  it('counts length after trimming', () => {
    expect(validateUsername(`  ${'a'.repeat(64)}  `).ok).toBe(true);
  });

  it('counts an emoji (two UTF-16 units) as one character', () => {
    // Prepare
    const emoji = '😀';
    expect(emoji).toHaveLength(2);

    // Act & Assess
    expect(validateUsername(emoji.repeat(64))).toEqual({ ok: true, username: emoji.repeat(64) });
    expect(validateUsername(emoji.repeat(65)).ok).toBe(false);
  });

  it.each([
    ['NUL', 'ad\u0000min'],
    ['a newline', 'ad\nmin'],
    ['a tab inside', 'ad\tmin'],
    ['escape', 'ad\u001bmin'],
    ['DEL', 'ad\u007fmin'],
    ['a C1 control', 'ad\u0085min'],
    ['zero-width space', 'ad\u200bmin'],
    ['zero-width joiner', 'ad\u200dmin'],
    ['right-to-left override', 'ad\u202emin'],
    ['left-to-right mark', 'ad\u200emin'],
    ['soft hyphen', 'ad\u00admin'],
    ['word joiner', 'ad\u2060min'],
    ['a BOM inside', 'ad\ufeffmin'],
    ['line separator', 'ad\u2028min'],
    ['paragraph separator', 'ad\u2029min'],
  ])('refuses %s', (_label, raw) => {
    expect(validateUsername(raw)).toEqual({
      ok: false,
      error: 'The username contains characters that are not allowed.',
    });
  });
});
