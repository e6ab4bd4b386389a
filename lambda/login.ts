import { lambdaEntry } from './app/lambdaHandler.js';
import { loginRoute } from './routes/loginRoute.js';

/** The login function's Lambda handler (`GET`/`POST /login`): its app context is built from the environment at init. */
export const handler = lambdaEntry(loginRoute);
