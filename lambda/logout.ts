import { lambdaEntry } from './app/lambdaHandler.js';
import { logoutRoute } from './routes/logoutRoute.js';

/** The logout function's Lambda handler (`GET /logout`): its app context is built from the environment at init. */
export const handler = lambdaEntry(logoutRoute);
