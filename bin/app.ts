import { App } from 'aws-cdk-lib';
import { SessionsStack } from '../lib/SessionsStack';

// Environment-agnostic: `cdk deploy` uses the account and region of the current credentials.
const app = new App();
new SessionsStack(app, 'ServerSessionsStack', {
  description: 'Flask-style server-side sessions: API Gateway HTTP API, Lambda, DynamoDB',
});
