import { isCrossSiteRequest } from '../../lambda/http/crossSite';

const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
/** What the local server sends: the site is plain http there (HTTPS is assumed otherwise). */
const PLAIN_HTTP = { 'x-forwarded-proto': 'http' };

describe('isCrossSiteRequest', () => {
  describe('with Sec-Fetch-Site', () => {
    it.each(['same-origin', 'none'])('allows %s', (value) => {
      expect(isCrossSiteRequest({ 'sec-fetch-site': value, host: HOST })).toBe(false);
    });

    it.each(['cross-site', 'same-site', '', 'garbage'])('refuses %j', (value) => {
      expect(isCrossSiteRequest({ 'sec-fetch-site': value, host: HOST })).toBe(true);
    });

    it('wins over a matching Origin', () => {
      expect(
        isCrossSiteRequest({ 'sec-fetch-site': 'cross-site', origin: `https://${HOST}`, host: HOST }),
      ).toBe(true);
    });

    it('wins over a mismatching Origin', () => {
      expect(
        isCrossSiteRequest({ 'sec-fetch-site': 'same-origin', origin: 'https://evil.example', host: HOST }),
      ).toBe(false);
    });
  });

  describe('with Origin only', () => {
    it('allows an Origin matching Host', () => {
      expect(isCrossSiteRequest({ origin: `https://${HOST}`, host: HOST })).toBe(false);
    });

    it('compares the host case-insensitively and ignores a default port', () => {
      expect(isCrossSiteRequest({ origin: `https://${HOST.toUpperCase()}:443`, host: HOST })).toBe(false);
      expect(
        isCrossSiteRequest({ origin: 'http://localhost:3000', host: 'LOCALHOST:3000', ...PLAIN_HTTP }),
      ).toBe(false);
      expect(isCrossSiteRequest({ origin: 'http://a.example', host: 'a.example:80', ...PLAIN_HTTP })).toBe(
        false,
      );
    });

    it('refuses another host', () => {
      expect(isCrossSiteRequest({ origin: 'https://evil.example', host: HOST })).toBe(true);
    });

    it('refuses a subdomain of the host', () => {
      expect(isCrossSiteRequest({ origin: `https://evil.${HOST}`, host: HOST })).toBe(true);
    });

    it('refuses another port', () => {
      expect(
        isCrossSiteRequest({ origin: 'http://localhost:4000', host: 'localhost:3000', ...PLAIN_HTTP }),
      ).toBe(true);
    });

    it('refuses another scheme: plain http posting to the https site, and the reverse', () => {
      expect(isCrossSiteRequest({ origin: `http://${HOST}`, host: HOST })).toBe(true);
      expect(isCrossSiteRequest({ origin: `http://${HOST}`, host: HOST, 'x-forwarded-proto': 'https' })).toBe(
        true,
      );
      expect(
        isCrossSiteRequest({ origin: 'https://localhost:3000', host: 'localhost:3000', ...PLAIN_HTTP }),
      ).toBe(true);
    });

    it.each(['null', '', 'not a url', 'https://'])('refuses the opaque or malformed Origin %j', (origin) => {
      expect(isCrossSiteRequest({ origin, host: HOST })).toBe(true);
    });

    it('refuses when there is no Host to compare with', () => {
      expect(isCrossSiteRequest({ origin: `https://${HOST}` })).toBe(true);
    });

    it('compares with x-forwarded-host when present (the local proxy)', () => {
      expect(
        isCrossSiteRequest({
          origin: 'http://localhost:3000',
          host: 'internal:8080',
          'x-forwarded-host': 'localhost:3000',
          ...PLAIN_HTTP,
        }),
      ).toBe(false);
    });
  });

  it('allows a request with neither header (curl, older browsers)', () => {
    expect(isCrossSiteRequest({ host: HOST })).toBe(false);
    expect(isCrossSiteRequest({})).toBe(false);
  });
});
