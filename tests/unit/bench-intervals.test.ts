import { describe, expect, it } from 'vitest';
import { percentileInterval } from '../../scripts/bench-server';
import { mulberry32 } from '../../src/lib/random';

// The benchmarks' percentile-bootstrap intervals (Efron & Tibshirani, An Introduction to the
// Bootstrap, 1993, ch. 13), checked on samples whose population values are known: the 95th
// percentile of a uniform distribution on [0, 100] is 95.

function uniform(n: number, seed: number, scale = 1): number[] {
	const random = mulberry32(seed);
	return Array.from({ length: n }, () => random() * 100 * scale);
}

describe('percentileInterval', () => {
	it('covers a sample’s known 95th percentile, narrowly for a large sample', () => {
		const { lower, upper } = percentileInterval([uniform(2000, 7)], ([p95]) => p95);
		expect(lower).toBeLessThan(95);
		expect(upper).toBeGreaterThan(95);
		expect(upper - lower).toBeLessThan(3);
	});

	it('is wider for the p95 of 200 than of 2,000', () => {
		const few = percentileInterval([uniform(200, 7)], ([p95]) => p95);
		const many = percentileInterval([uniform(2000, 7)], ([p95]) => p95);
		expect(few.upper - few.lower).toBeGreaterThan(2 * (many.upper - many.lower));
	});

	it('covers the ratio of two samples’ p95s: 1 for the same distribution, 1.5 for one scaled', () => {
		const same = percentileInterval([uniform(800, 1), uniform(800, 2)], ([a, b]) => a / b);
		expect(same.lower).toBeLessThan(1);
		expect(same.upper).toBeGreaterThan(1);
		const scaled = percentileInterval([uniform(800, 3, 1.5), uniform(800, 4)], ([a, b]) => a / b);
		expect(scaled.lower).toBeGreaterThan(1.4);
		expect(scaled.upper).toBeLessThan(1.6);
	});

	it('gives the same interval for the same timings, and none for an empty sample', () => {
		const timings = uniform(300, 9);
		expect(percentileInterval([timings], ([p95]) => p95)).toEqual(
			percentileInterval([timings], ([p95]) => p95)
		);
		expect(percentileInterval([[]], ([p95]) => p95)).toEqual({ lower: NaN, upper: NaN });
	});
});
