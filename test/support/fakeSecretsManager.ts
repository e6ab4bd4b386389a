import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSecretsManager {
  /** `http://127.0.0.1:<port>`: point `AWS_ENDPOINT_URL_SECRETS_MANAGER` here. */
  endpoint: string;
  close(): Promise<void>;
}

/**
 * A Secrets Manager stand-in on 127.0.0.1 that answers `GetSecretValue` for any id with `secret`.
 * Put a `startCountingProxy` in front of it to count calls or inject faults.
 */
export async function startFakeSecretsManager(secret: string): Promise<FakeSecretsManager> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target !== 'secretsmanager.GetSecretValue') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify({ __type: 'InvalidRequestException', message: `unsupported: ${target}` }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf',
          Name: 'session-keys',
          SecretString: secret,
          VersionId: 'v1',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1_700_000_000,
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
