import type { RequestRecorder, RequestSummary } from './recorder';
import type { RatioInterval } from './stats';

/** What the flow bench gives a companion when it starts: the store and the shared recorder. */
export interface CompanionSetup {
  /** The counting proxy's endpoint: the companion's DynamoDB client goes through it, as ours does. */
  endpoint: string;
  /** Shared with our handlers: the same clock, proxy counts and recording switch. */
  recorder: RequestRecorder;
  /** The flow bench's check: throws `BenchCheckError` when `condition` is false, and counts it. */
  check(step: string, condition: boolean, expected: string, got: () => string): void;
}

/**
 * Another implementation of the app, run inside our flows so that machine noise hits both: it
 * logs in when our flow has, makes one logged-in request next to each of ours (the position in
 * the order rotating), and logs out after.
 */
export interface FlowCompanion {
  /** Shown in progress lines and the report. */
  readonly name: string;
  /** The recorder type of the companion's logged-in read, paired index by index with ours. */
  readonly pairedType: string;
  beforeReads(flow: string): Promise<void>;
  read(flow: string): Promise<void>;
  afterReads(flow: string): Promise<void>;
  /** Its request types as the report shows them, once the flows are done. */
  requestTypes(): CompanionRequestType[];
  close(): Promise<void>;
}

export interface CompanionRequestType extends RequestSummary {
  type: string;
  label: string;
}

export interface CompanionResult {
  name: string;
  requestTypes: CompanionRequestType[];
  /**
   * Our logged-in `GET /` median over the companion's, with a 95% bootstrap interval: each of
   * ours and the companion's request made next to it are resampled as a pair.
   */
  loggedInRatio: RatioInterval;
}

/** Builds the companion once the store is up; `npm run bench` passes the peer's. */
export type CompanionFactory = (setup: CompanionSetup) => Promise<FlowCompanion>;
