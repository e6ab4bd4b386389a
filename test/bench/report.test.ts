import { formatDifference } from '../../scripts/bench/report';

describe('bench report: differences', () => {
  test('show a sign, the unit and the interval, at the digits asked', () => {
    expect(
      formatDifference({ difference: 0.8412, low: -0.12, high: 1.8, confidence: 0.95 }, 'µs per value', 2),
    ).toBe('+0.84 µs per value (95% interval −0.12 to +1.80)');
    expect(
      formatDifference({ difference: 1234.6, low: 1100, high: 1399.4, confidence: 0.95 }, 'µs per flash', 0),
    ).toBe('+1235 µs per flash (95% interval +1100 to +1399)');
    expect(formatDifference({ difference: -3.2, low: -9.9, high: 2, confidence: 0.9 }, 'µs', 0)).toBe(
      '−3 µs (90% interval −10 to +2)',
    );
  });

  test('a value that rounds to zero is +0, never −0', () => {
    expect(
      formatDifference({ difference: -0.0004, low: -0.001, high: 0.002, confidence: 0.95 }, 'µs', 2),
    ).toBe('+0.00 µs (95% interval +0.00 to +0.00)');
  });
});
