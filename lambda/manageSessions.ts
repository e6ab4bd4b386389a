import { lambdaEntry } from './app/lambdaHandler.js';
import { sessionsRoute } from './routes/sessionsRoute.js';

/** The sessions function's Lambda handler (`GET /sessions`, `POST /sessions/revoke` and `POST /logout`): its app context is built from the environment at init. */
export const handler = lambdaEntry(sessionsRoute);
