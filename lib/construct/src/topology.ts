/**
 * The region sets a DynamoDB global table with multi-region strong consistency (MRSC) can span:
 * its three regions (replicas, or two replicas and a witness) all come from one set.
 */
export const MRSC_REGION_SETS = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Where a strongly consistent session table lives: three replicas, or two and a witness (which
 * takes part in every write's quorum and holds no data anyone can read).
 */
export interface MultiRegionTopology {
  /**
   * The regions with a replica and with the functions that serve the site. The first is the
   * primary: its stack creates the table and the secret, and runs their rotation and expiry sweep.
   */
  readonly replicaRegions: readonly string[];
  /** The third region when there are two replicas. @default - none: three replicas */
  readonly witnessRegion?: string;
}

function describeSets(): string {
  return Object.entries(MRSC_REGION_SETS)
    .map(([name, regions]) => `${name} (${regions.join(', ')})`)
    .join('; ');
}

/**
 * `replicaRegions` and `witnessRegion` checked against what MRSC allows: exactly three distinct
 * regions of one set, three replicas or two and a witness. Anything else is an `Error` that names
 * the allowed sets, so `cdk synth` stops before CloudFormation would.
 * @example multiRegionTopology(['us-east-1', 'us-east-2'], 'us-west-2');
 */
export function multiRegionTopology(
  replicaRegions: readonly string[],
  witnessRegion?: string,
): MultiRegionTopology {
  const all = witnessRegion === undefined ? [...replicaRegions] : [...replicaRegions, witnessRegion];
  const given = `got replicas ${JSON.stringify(replicaRegions)}${
    witnessRegion === undefined ? '' : ` and witness ${JSON.stringify(witnessRegion)}`
  }`;
  const refuse = (why: string) =>
    new Error(
      `Multi-region sessions: ${why}. A strongly consistent global table spans exactly three ` +
        `regions of one set, three replicas or two replicas and a witness: ${describeSets()}; ${given}`,
    );
  if (witnessRegion !== undefined && replicaRegions.length !== 2)
    throw refuse('a witness goes with exactly two replica regions');
  if (witnessRegion === undefined && replicaRegions.length !== 3)
    throw refuse('without a witness, name exactly three replica regions');
  if (new Set(all).size !== all.length) throw refuse('a region is named twice');
  const set = Object.values(MRSC_REGION_SETS).find((regions) =>
    all.every((region) => (regions as readonly string[]).includes(region)),
  );
  if (set === undefined) throw refuse('the regions are not all of one set');
  return { replicaRegions: [...replicaRegions], ...(witnessRegion === undefined ? {} : { witnessRegion }) };
}
