// Must not compile: a key the data's type does not have.
import type { Session } from '@lambda-sessions/dynamodb';

interface AppData {
  username: string;
}

export function misuse(session: Session<AppData>): void {
  session.get('nmae'); // error TS2345
  session.set('nmae', 'admin'); // error TS2345
  session.pop('visits'); // error TS2345
}
