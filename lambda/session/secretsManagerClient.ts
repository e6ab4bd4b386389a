/**
 * The two parts of the Secrets Manager client the functions use, imported dynamically through this
 * module rather than the package: a dynamic import of the package itself keeps all of its commands
 * in the bundle, while these named re-exports let esbuild drop the rest (npm run bench).
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
