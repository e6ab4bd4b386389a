import { isCrossSiteRequest } from '../../lambda/http/crossSite';
import { FORWARD_VIEWER_HOST_CODE } from '../../lib/edge';

type CloudFrontHeaders = Record<string, { value: string }>;
type ViewerRequest = { method: string; uri: string; headers: CloudFrontHeaders };

/** The viewer-request function the distribution runs (cloudfront-js-2.0), as plain JavaScript. */
const forwardViewerHost = new Function(`${FORWARD_VIEWER_HOST_CODE}\nreturn handler;`)() as (event: {
  request: ViewerRequest;
}) => ViewerRequest;

const SITE = 'd111111abcdef8.cloudfront.net';
const API = 'abc123.execute-api.eu-west-1.amazonaws.com';

/**
 * The headers the function sees once CloudFront has forwarded `viewerHeaders`: the function's
 * output minus Host (origin request policy AllViewerExceptHostHeader), plus the API's own Host and
 * the X-Forwarded-Proto that API Gateway sets.
 */
function headersAtTheFunction(viewerHeaders: Record<string, string>): Record<string, string> {
  const headers: CloudFrontHeaders = Object.fromEntries(
    Object.entries(viewerHeaders).map(([name, value]) => [name, { value }]),
  );
  const forwarded = forwardViewerHost({ request: { method: 'POST', uri: '/login', headers } }).headers;
  const { host: _viewerHost, ...rest } = forwarded;
  return {
    ...Object.fromEntries(Object.entries(rest).map(([name, header]) => [name, header.value])),
    host: API,
    'x-forwarded-proto': 'https',
  };
}

describe('the edge keeps the cross-site check working (FORWARD_VIEWER_HOST_CODE)', () => {
  it('passes the viewer Host on as X-Forwarded-Host and keeps every other header', () => {
    const headers = headersAtTheFunction({ host: SITE, origin: `https://${SITE}`, cookie: 'a=b' });
    expect(headers).toEqual({
      'x-forwarded-host': SITE,
      origin: `https://${SITE}`,
      cookie: 'a=b',
      host: API,
      'x-forwarded-proto': 'https',
    });
  });

  it('a same-site form post without Sec-Fetch-Site is allowed: Origin matches the viewer Host', () => {
    // Without the function the app would compare the Origin with the API's Host and refuse it.
    expect(isCrossSiteRequest(headersAtTheFunction({ host: SITE, origin: `https://${SITE}` }))).toBe(false);
    expect(isCrossSiteRequest({ host: API, origin: `https://${SITE}`, 'x-forwarded-proto': 'https' })).toBe(
      true,
    );
  });

  it('a cross-site form post is still refused', () => {
    expect(isCrossSiteRequest(headersAtTheFunction({ host: SITE, origin: 'https://evil.example' }))).toBe(
      true,
    );
  });

  it('a client cannot choose X-Forwarded-Host: the viewer Host overwrites it', () => {
    const headers = headersAtTheFunction({
      host: SITE,
      origin: 'https://evil.example',
      'x-forwarded-host': 'evil.example',
    });
    expect(headers['x-forwarded-host']).toBe(SITE);
    expect(isCrossSiteRequest(headers)).toBe(true);
  });

  it('without a viewer Host, a client-sent X-Forwarded-Host is dropped', () => {
    const headers = headersAtTheFunction({
      origin: 'https://evil.example',
      'x-forwarded-host': 'evil.example',
    });
    expect(headers['x-forwarded-host']).toBeUndefined();
    expect(isCrossSiteRequest(headers)).toBe(true);
  });
});
