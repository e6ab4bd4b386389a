/** A fixed start instant; not a round number of seconds so flooring is visible. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0) + 123;

/**
 * The one test clock: inject `clock.now` where the code takes a clock, move it with `advance`, or
 * set `value` outright.
 * @example
 * const clock = new TestClock();
 * const app = createTestApp({ endpoint, now: clock.now });
 * clock.advance(IDLE_MS); // the session is now idle for a whole window
 */
export class TestClock {
  constructor(public value = T0) {}
  readonly now = (): number => this.value;
  advance(ms: number): void {
    this.value += ms;
  }
}
