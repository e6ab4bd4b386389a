import type { SessionAccess } from '@lambda-sessions/dynamodb/table';
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { grantSessionAccess } from './grants';
import type { SessionReplication } from './ServerSessions';

/** Where a `ServerSessionsReplica` finds its table and secret. */
export interface ServerSessionsReplicaProps {
  /** The primary region's `ServerSessions` with `multiRegion` (its `replication`). */
  readonly primary: { readonly replication?: SessionReplication };
}

/**
 * The sessions of a multi-region `ServerSessions` in one of its other replica regions: this
 * region's replica of the table and of the signing-key secret, found by name (no reference across
 * regions), with the same grants by access level. Creates nothing: the primary's stack creates
 * the replicas, so deploy it first (`stack.addDependency(primaryStack)`).
 * @example
 * const replica = new ServerSessionsReplica(this, 'Sessions', { primary: sessions });
 * replica.grantSessionAccess(index, 'read-refresh'); // this region's table and secret
 */
export class ServerSessionsReplica extends Construct {
  /** This region's replica of the table. */
  readonly table: dynamodb.ITableV2;
  /** The primary's names and regions, read from `primary`. */
  readonly replication: SessionReplication;
  private readonly secretResource: string;

  constructor(scope: Construct, id: string, props: ServerSessionsReplicaProps) {
    super(scope, id);
    const replication = props.primary.replication;
    if (replication === undefined) {
      throw new Error('ServerSessionsReplica: the primary ServerSessions has no multiRegion option');
    }
    const stack = Stack.of(this);
    const [primary, ...others] = replication.topology.replicaRegions;
    if (Token.isUnresolved(stack.region) || !others.includes(stack.region)) {
      throw new Error(
        `ServerSessionsReplica: the stack must be in one of the other replica regions (${others.join(', ')}), ` +
          `got ${Token.isUnresolved(stack.region) ? 'an environment-agnostic stack' : stack.region}` +
          (stack.region === primary ? ': the primary region has ServerSessions itself' : ''),
      );
    }
    this.replication = replication;
    this.table = dynamodb.TableV2.fromTableName(this, 'Table', replication.tableName);
    // A replica secret's ARN is the primary's with this region: the same random suffix, which
    // only the primary's deployment knows, so the policy names it with six wildcard characters.
    this.secretResource = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${replication.secretName}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * The same grants as `ServerSessions.grantSessionAccess`, on this region's table and secret;
   * `SESSION_SECRET_ARN` holds the secret's name, which `GetSecretValue` takes as well.
   * @example replica.grantSessionAccess(logoutFunction, 'logout');
   */
  grantSessionAccess(fn: lambda.Function, access: SessionAccess): void {
    grantSessionAccess(fn, access, {
      tableName: this.replication.tableName,
      tableArn: this.table.tableArn,
      secretId: this.replication.secretName,
      secretResource: this.secretResource,
      swept: true,
    });
  }
}
