/**
 * The two parts of the Secrets Manager client `SecretsManagerKeys` uses, imported dynamically
 * through this module rather than the package: a dynamic import of the package itself keeps all of
 * its commands in a bundle, while these named re-exports let esbuild drop the rest.
 */
export { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
