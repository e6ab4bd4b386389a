// Runs before every test file: nothing may reach AWS, and handlers imported for real get a
// valid configuration. Tests that need other values build their own context.
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
process.env.TABLE_NAME = 'sessions-test';
process.env.SESSION_SECRET = 'test-signing-key-0123456789abcdef';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
process.env.CDK_DISABLE_VERSION_CHECK = '1';
delete process.env.DYNAMODB_ENDPOINT;
delete process.env.AWS_LAMBDA_FUNCTION_NAME;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
