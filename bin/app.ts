import { App } from 'aws-cdk-lib';
import { sessionsApp } from '../lib/app';

// Environment-agnostic unless -c edge=true (lib/app.ts): the CLI's account and region then.
sessionsApp(new App(), { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION });
