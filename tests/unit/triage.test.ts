import { describe, expect, it } from 'vitest';
import { triageKey, UNJUDGED } from '../../src/lib/server/judges/triage';

const trusted = (rating: number) => ({ rating, trusted: true });
const untrusted = (rating: number) => ({ rating, trusted: false });

describe('the judge-guided key', () => {
	it('puts a trusted fail first, then doubt, then the unjudged, then clear passes', () => {
		const keys = {
			trustedFail: triageKey([trusted(2)], 'five_star', 4),
			untrustedFail: triageKey([untrusted(2)], 'five_star', 4),
			disagreement: triageKey([trusted(5), untrusted(3)], 'five_star', 4),
			atTheEdge: triageKey([trusted(4)], 'five_star', 4),
			unjudged: triageKey([], 'five_star', 4),
			clearPass: triageKey([trusted(5), untrusted(5)], 'five_star', 4)
		};
		const order = Object.entries(keys)
			.sort((a, b) => b[1] - a[1])
			.map(([name]) => name);
		expect(order).toEqual([
			'trustedFail',
			'untrustedFail',
			'disagreement',
			'atTheEdge',
			'unjudged',
			'clearPass'
		]);
		expect(keys.unjudged).toBe(UNJUDGED);
	});

	it('serves the lower of two fails first, within a tier', () => {
		expect(triageKey([trusted(1)], 'five_star', 4)).toBeGreaterThan(
			triageKey([trusted(3)], 'five_star', 4)
		);
	});

	it('has no edge when the threshold is the top of the scale', () => {
		// On pass/fail, a pass is the only passing value: it is a clear pass, not a doubt.
		expect(triageKey([untrusted(1)], 'pass_fail', 1)).toBeLessThan(UNJUDGED);
		expect(triageKey([trusted(0)], 'pass_fail', 1)).toBeGreaterThan(
			triageKey([untrusted(0)], 'pass_fail', 1)
		);
		expect(triageKey([untrusted(5)], 'five_star', 5)).toBeLessThan(UNJUDGED);
	});
});
