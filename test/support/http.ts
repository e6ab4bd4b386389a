import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  setCookies: string[];
  body: string;
}

/**
 * One HTTP request with exactly the given headers (no cookie jar, no redirects followed, a new
 * connection each time). Header values may hold any bytes via Buffer-free latin1 strings.
 */
export function send(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            setCookies: res.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A `POST` with a urlencoded body, as a same-origin browser form would send it. */
export function postForm(
  baseUrl: string,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  return send(baseUrl, 'POST', path, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

/** `POST /login` with a urlencoded body, as a same-origin browser form would send it. */
export function postLogin(baseUrl: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return postForm(baseUrl, '/login', body, headers);
}

/** The `name=value` of a Set-Cookie header. */
export function cookiePair(setCookie: string): string {
  return setCookie.split(';')[0];
}
