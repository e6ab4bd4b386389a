import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A rotation step as Secrets Manager invokes a rotation function with it. */
export interface RotationStepEvent {
  Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  SecretId: string;
  ClientRequestToken: string;
}

export interface FakeSecretsManager {
  /** `http://127.0.0.1:<port>`: point `AWS_ENDPOINT_URL_SECRETS_MANAGER` here. */
  endpoint: string;
  /** The secret's ARN (any id is answered as this one secret). */
  arn: string;
  /** The value labelled AWSCURRENT. */
  current(): string;
  /** The operations called, in order (`GetSecretValue`, `PutSecretValue`, …). */
  operations: string[];
  /** Each version that holds a staging label, and its labels, as `DescribeSecret` lists them. */
  stages(): Record<string, string[]>;
  /**
   * A rotation as Secrets Manager runs one: a new version labelled AWSPENDING, without a value,
   * then the four steps in order through `invoke` (the rotation function), stopping at the first
   * that throws (the error is thrown). A rotation left unfinished (AWSPENDING on a version that
   * is not AWSCURRENT) is reattempted instead, with that version as the token, as Secrets
   * Manager does ("A previous rotation isn't complete. That rotation will be reattempted.").
   * Returns the token.
   */
  rotate(invoke: (event: RotationStepEvent) => Promise<unknown>): Promise<string>;
  close(): Promise<void>;
}

interface Version {
  value: string | undefined;
  stages: Set<string>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:session-keys-AbCdEf';
const STEPS: RotationStepEvent['Step'][] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

/**
 * A Secrets Manager stand-in on 127.0.0.1 holding one secret, first `secret` (AWSCURRENT), with
 * versions and staging labels as a rotation moves them: `GetSecretValue`, `DescribeSecret`,
 * `PutSecretValue`, `UpdateSecretVersionStage`. Put a `startCountingProxy` in front of it to
 * count calls or inject faults.
 */
export async function startFakeSecretsManager(secret: string): Promise<FakeSecretsManager> {
  const versions = new Map<string, Version>([['v1', { value: secret, stages: new Set(['AWSCURRENT']) }]]);
  const operations: string[] = [];

  const versionWith = (stage: string) => [...versions].find(([, version]) => version.stages.has(stage));
  /** Puts `stage` on `versionId` alone; moving AWSCURRENT labels the version it leaves AWSPREVIOUS. */
  const label = (versionId: string, stage: string) => {
    const [leaving] = versionWith(stage) ?? [];
    for (const version of versions.values()) version.stages.delete(stage);
    versions.get(versionId)?.stages.add(stage);
    if (stage === 'AWSCURRENT' && leaving !== undefined && leaving !== versionId)
      label(leaving, 'AWSPREVIOUS');
  };

  /** The versions that hold a label (a version without one is deprecated: no longer listed). */
  const labelled = (): Record<string, string[]> =>
    Object.fromEntries(
      [...versions]
        .filter(([, version]) => version.stages.size > 0)
        .map(([id, version]) => [id, [...version.stages]]),
    );

  const actions: Record<string, (input: Record<string, string | string[] | undefined>) => object> = {
    GetSecretValue: ({ VersionId, VersionStage }) => {
      const stage = VersionStage as string | undefined;
      const [id, version] =
        VersionId !== undefined
          ? [VersionId as string, versions.get(VersionId as string)]
          : (versionWith(stage ?? 'AWSCURRENT') ?? []);
      if (
        !id ||
        !version ||
        version.value === undefined ||
        (stage !== undefined && !version.stages.has(stage))
      ) {
        throw new ServiceError(
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value",
        );
      }
      return {
        ARN,
        Name: 'session-keys',
        SecretString: version.value,
        VersionId: id,
        VersionStages: [...version.stages],
      };
    },
    DescribeSecret: () => ({
      ARN,
      Name: 'session-keys',
      RotationEnabled: true,
      VersionIdsToStages: labelled(),
    }),
    PutSecretValue: ({ ClientRequestToken, SecretString, VersionStages }) => {
      const id = ClientRequestToken as string;
      const existing = versions.get(id);
      if (existing?.value !== undefined && existing.value !== SecretString) {
        throw new ServiceError('ResourceExistsException', `version ${id} already has another value`);
      }
      versions.set(id, { value: SecretString as string, stages: existing?.stages ?? new Set() });
      for (const stage of (VersionStages as string[] | undefined) ?? ['AWSCURRENT']) label(id, stage);
      return {
        ARN,
        Name: 'session-keys',
        VersionId: id,
        VersionStages: [...(versions.get(id)?.stages ?? [])],
      };
    },
    UpdateSecretVersionStage: ({ VersionStage, MoveToVersionId, RemoveFromVersionId }) => {
      const [holder] = versionWith(VersionStage as string) ?? [];
      if (MoveToVersionId === undefined) {
        // Only RemoveFromVersionId: the label comes off that version, which must hold it.
        if (RemoveFromVersionId === undefined || holder !== RemoveFromVersionId) {
          throw new ServiceError(
            'InvalidParameterException',
            `${VersionStage} is not on ${RemoveFromVersionId ?? 'any version named'}`,
          );
        }
        versions.get(holder)?.stages.delete(VersionStage as string);
        return { ARN, Name: 'session-keys' };
      }
      if (holder !== undefined && holder !== MoveToVersionId && holder !== RemoveFromVersionId) {
        throw new ServiceError(
          'InvalidParameterException',
          `${VersionStage} is on ${holder}: name it in RemoveFromVersionId`,
        );
      }
      if (!versions.has(MoveToVersionId as string)) {
        throw new ServiceError('ResourceNotFoundException', `no version ${MoveToVersionId}`);
      }
      label(MoveToVersionId as string, VersionStage as string);
      return { ARN, Name: 'session-keys' };
    },
  };

  const answer = (response: ServerResponse, status: number, body: object) => {
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(body));
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      operations.push(operation);
      const action = actions[operation];
      if (!action) {
        answer(response, 400, { __type: 'InvalidRequestException', message: `unsupported: ${operation}` });
        return;
      }
      try {
        answer(response, 200, action(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        answer(response, 400, { __type: error.type, message: error.message });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    arn: ARN,
    operations,
    current: () => versionWith('AWSCURRENT')?.[1].value ?? '',
    stages: labelled,
    async rotate(invoke) {
      const [unfinished, pending] = versionWith('AWSPENDING') ?? [];
      const resumed = unfinished !== undefined && !pending?.stages.has('AWSCURRENT');
      const token = resumed ? unfinished : randomUUID();
      if (!resumed) {
        versions.set(token, { value: undefined, stages: new Set() });
        label(token, 'AWSPENDING');
      }
      for (const Step of STEPS) await invoke({ Step, SecretId: ARN, ClientRequestToken: token });
      return token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
