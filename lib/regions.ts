import { type MultiRegionTopology, multiRegionTopology } from '@lambda-sessions/cdk';
import type { Construct } from 'constructs';

/** A comma-separated list of region names from context, or undefined when unset. */
function contextRegionList(scope: Construct, key: string): string[] | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  const regions = typeof value === 'string' ? value.split(',').map((region) => region.trim()) : [];
  if (regions.length === 0 || !regions.every((region) => /^[a-z]{2}(-[a-z]+)+-\d$/.test(region))) {
    throw new Error(
      `Context ${key}: expected region names separated by commas such as us-east-1,us-east-2, got ${JSON.stringify(value)}`,
    );
  }
  return regions;
}

/**
 * The multi-region topology from context `regions` (the replica regions, the primary first) and
 * `witnessRegion`, checked against what DynamoDB allows; undefined without `regions` (one region).
 * @example contextTopology(app); // -c regions=us-east-1,us-east-2 -c witnessRegion=us-west-2
 */
export function contextTopology(scope: Construct): MultiRegionTopology | undefined {
  const regions = contextRegionList(scope, 'regions');
  const witness = contextRegionList(scope, 'witnessRegion');
  if (regions === undefined) {
    if (witness !== undefined)
      throw new Error('Context witnessRegion: it goes with -c regions=... (two replica regions)');
    return undefined;
  }
  if (witness !== undefined && witness.length !== 1) {
    throw new Error(`Context witnessRegion: expected one region, got ${JSON.stringify(witness.join(','))}`);
  }
  return multiRegionTopology(regions, witness?.[0]);
}
