import { lambdaEntry } from './app/lambdaHandler.js';
import { indexRoute } from './routes/indexRoute.js';

/** The index function's Lambda handler (`GET /`, and `GET /health`): its app context is built from the environment at init. */
export const handler = lambdaEntry(indexRoute);
