import { escapeHtml, html, SafeHtml, trustedHtml } from '../../lambda/http/html';

describe('escapeHtml', () => {
  it('escapes the five significant characters', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });

  it('escapes & first so entities are not double-decoded into markup', () => {
    expect(escapeHtml('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;');
  });

  it('leaves other text alone', () => {
    expect(escapeHtml('Jürgen 😀 plain text 123')).toBe('Jürgen 😀 plain text 123');
  });
});

describe('html', () => {
  it('escapes interpolated text', () => {
    // Prepare
    const username = '<script>alert(1)</script>';

    // Act
    const markup = html`<p>Logged in as ${username}</p>`.value;

    // Assess
    expect(markup).toBe('<p>Logged in as &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(markup).not.toContain('<script>');
  });

  it('escapes quotes so a value cannot break out of an attribute', () => {
    const value = `" autofocus onfocus="alert(1)`;
    expect(html`<input value="${value}">`.value).toBe(
      '<input value="&quot; autofocus onfocus=&quot;alert(1)">',
    );
    expect(html`<input value='${"' onclick='x"}'>`.value).toBe("<input value='&#39; onclick=&#39;x'>");
  });

  it('passes SafeHtml through unescaped', () => {
    expect(html`<div>${trustedHtml('<b>bold</b>')}</div>`.value).toBe('<div><b>bold</b></div>');
    expect(html`<div>${html`<i>${'<x>'}</i>`}</div>`.value).toBe('<div><i>&lt;x&gt;</i></div>');
  });

  it('does not treat a plain object with a value property as safe', () => {
    const lookalike = { value: '<b>x</b>', toString: () => '<b>x</b>' };
    expect(html`${lookalike}`.value).toBe('&lt;b&gt;x&lt;/b&gt;');
  });

  it('renders arrays item by item, escaping each', () => {
    expect(html`<ul>${['<a>', trustedHtml('<li>ok</li>')]}</ul>`.value).toBe('<ul>&lt;a&gt;<li>ok</li></ul>');
  });

  it('renders undefined, null and false as nothing, and numbers and 0 as text', () => {
    expect(html`[${undefined}|${null}|${false}|${0}|${42}|${true}]`.value).toBe('[|||0|42|true]');
  });

  it('returns a SafeHtml whose string form is the markup', () => {
    const result = html`<p>${'&'}</p>`;
    expect(result).toBeInstanceOf(SafeHtml);
    expect(String(result)).toBe('<p>&amp;</p>');
  });
});
