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
		expect(few.upper - few.lower).toBeGreaterThan(1.5 * (many.upper - many.lower));
	});

	it('covers the ratio of two samples’ p95s: 1 for the same distribution, 1.5 for one scaled', () => {
		const same = percentileInterval([uniform(800, 1), uniform(800, 2)], ([a, b]) => a / b);
		expect(same.lower).toBeLessThan(1);
		expect(same.upper).toBeGreaterThan(1);
		const scaled = percentileInterval([uniform(800, 3, 1.5), uniform(800, 4)], ([a, b]) => a / b);
		expect(scaled.lower).toBeGreaterThan(1.4);
		expect(scaled.upper).toBeLessThan(1.6);
	});

	it('is as wide as the p95’s sampling spread: about 1.9 for 2,000 draws from [0, 100]', () => {
		// The p-quantile's standard error is sqrt(p(1 - p) / n) / f, f the density (1/100 here):
		// 0.487, so a 95% interval about 2 × 1.96 × 0.487 = 1.91 wide.
		const { lower, upper } = percentileInterval([uniform(2000, 11)], ([p95]) => p95);
		expect(upper - lower).toBeGreaterThan(1.4);
		expect(upper - lower).toBeLessThan(2.5);
	});

	it('covers the true p95 in about 95% of samples', () => {
		let covered = 0;
		for (let seed = 100; seed < 200; seed++) {
			const { lower, upper } = percentileInterval([uniform(200, seed)], ([p95]) => p95, {
				replicates: 500
			});
			if (lower <= 95 && 95 <= upper) covered += 1;
		}
		expect(covered).toBeGreaterThanOrEqual(88);
		expect(covered).toBeLessThanOrEqual(99);
	});

	it('resamples every sample: a ratio over a constant, or of a constant, still has a spread', () => {
		const constant = Array.from({ length: 200 }, () => 50);
		const varied = uniform(200, 12);
		const over = percentileInterval([varied, constant], ([a, b]) => a / b);
		const under = percentileInterval([constant, varied], ([a, b]) => a / b);
		expect(over.upper - over.lower).toBeGreaterThan(0.02);
		expect(under.upper - under.lower).toBeGreaterThan(0.005);
	});

	it('orders the estimates as numbers, not as text', () => {
		// 37 small timings and 3 large: a resample's p95 (the 38th of 40) is small when fewer
		// than three large ones are drawn, large otherwise. In text order "120" < "9.5".
		const timings = [...Array.from({ length: 37 }, (_, i) => 1 + i / 5), ...[120, 135, 150]];
		const { lower, upper } = percentileInterval([timings], ([p95]) => p95);
		expect(lower).toBeLessThan(10);
		expect(upper).toBeGreaterThanOrEqual(120);
	});

	it('gives the same interval for the same timings, and none for an empty sample', () => {
		const timings = uniform(300, 9);
		expect(percentileInterval([timings], ([p95]) => p95)).toEqual(
			percentileInterval([timings], ([p95]) => p95)
		);
		expect(percentileInterval([[]], ([p95]) => p95)).toEqual({ lower: NaN, upper: NaN });
	});
});
