import {
  type ApiCheck,
  type ApiEntry,
  apiEntries,
  entryName,
  extractApi,
  PACKAGE_FOLDERS,
  staleReports,
} from '../../scripts/api';

// The public API of the workspace packages is what their committed reports say
// (lambda/session/api/*.api.md, lib/construct/api/*.api.md): API Extractor, in check mode, reads
// each entry point's built declarations and fails on any difference, and on what it finds wrong
// (a type the API uses that no entry exports). After a deliberate change: `npm run api`.

const UPDATE = 'npm run api';
/**
 * The root entry stays small: the rest is behind ./keys, ./middy, ./powertools, ./rotation,
 * ./sweep and ./table. 30 since 0.2: typed data, flashes and the event sources' helpers each added
 * what a handler needs.
 */
const ROOT_ENTRY_MAX_NAMES = 30;
/** API Extractor reads aws-cdk-lib's declarations for the construct: the slowest, 25-50 s on 2 busy cores. */
const EXTRACT_TIMEOUT_MS = 90_000;

/** API Extractor's check of each package, once per package for all the tests. */
const extracted = new Map<string, ApiCheck[]>();
function checksOf(packageFolder: string): ApiCheck[] {
  const checks = extracted.get(packageFolder) ?? extractApi(packageFolder, { update: false });
  extracted.set(packageFolder, checks);
  return checks;
}

describe.each(PACKAGE_FOLDERS)('the public API of the package in %s', (packageFolder) => {
  const entries = apiEntries(packageFolder);
  const checkOf = (entry: ApiEntry) =>
    checksOf(packageFolder).find((check) => check.entry.subpath === entry.subpath) as ApiCheck;

  beforeAll(() => {
    checksOf(packageFolder);
  }, EXTRACT_TIMEOUT_MS);

  it.each(entries.map((entry) => [entryName(entry), entry]))('%s is as its report says', (name, entry) => {
    const { changed, diff } = checkOf(entry);
    if (changed) {
      throw new Error(
        `The public API of ${name} is not what ${entry.report} says. If the change is deliberate, ` +
          `run \`${UPDATE}\` and commit the report.\n\n${diff || `${entry.report} does not exist.`}`,
      );
    }
  });

  it.each(entries.map((entry) => [entryName(entry), entry]))(
    '%s has nothing API Extractor reports',
    (_, entry) => {
      expect(checkOf(entry).problems).toEqual([]);
    },
  );

  it(`has no report of an entry it no longer has (\`${UPDATE}\` removes them)`, () => {
    expect(staleReports(packageFolder)).toEqual([]);
  });
});

describe('the root entry of @lambda-sessions/dynamodb', () => {
  it(
    `exports at most ${ROOT_ENTRY_MAX_NAMES} names, types included`,
    () => {
      const { exportedNames } = checksOf('lambda/session').find(
        (check) => check.entry.subpath === '.',
      ) as ApiCheck;

      expect(exportedNames).toContain('SessionManager'); // the names are read, types and values
      expect(exportedNames).toContain('SessionRequest');
      if (exportedNames.length > ROOT_ENTRY_MAX_NAMES) {
        throw new Error(
          `@lambda-sessions/dynamodb exports ${exportedNames.length} names, at most ${ROOT_ENTRY_MAX_NAMES}: ` +
            `move some behind a subpath.\n${exportedNames.join(', ')}`,
        );
      }
    },
    EXTRACT_TIMEOUT_MS,
  );
});
