import { Validations } from 'aws-cdk-lib';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** `RuleId at construct/path: description` for every unacknowledged finding of a pack under `root`. */
export function nagFindings(pack: NagPack, root: IConstruct): string[] {
  return pack
    .validateScope(root)
    .violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.constructPath}: ${violation.description}`,
      ),
    );
}

/**
 * Every acknowledgment in the tree under `root`: the construct's path, the rule id and the
 * reason, and `at`, the two as one string (`construct/path RuleId`) to compare against a list.
 */
export function nagAcknowledgments(
  root: IConstruct,
): { path: string; id: string; at: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => {
          const id = rule.replace(/^annotation::/i, '');
          return { path: construct.node.path, id, at: `${construct.node.path} ${id}`, reason };
        }),
      ),
  );
}
