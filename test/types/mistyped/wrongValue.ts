// Must not compile: each marked line is an error the type of the data catches.
import type { Session } from '@lambda-sessions/dynamodb';

interface AppData {
  username: string;
  visits: number;
}

export function misuse(session: Session<AppData>): void {
  session.set('username', 42); // error TS2345
  session.set('visits', '1'); // error TS2345
  session.set('username', undefined); // error TS2345
}
