import { describe, expect, it } from 'vitest';
import { medianSeconds } from '../../src/routes/projects/[id=integer]/review/pace';

describe('medianSeconds', () => {
	it('says nothing before the first review', () => {
		expect(medianSeconds([])).toBeNull();
	});

	it('takes the middle time, so that one item left open over a break does not count', () => {
		expect(medianSeconds([12_000, 9_000, 3_600_000])).toBe(12);
	});

	it('takes the mean of the two middle times of an even count, rounded to a second', () => {
		expect(medianSeconds([8_000, 11_000, 2_000, 60_000])).toBe(10);
		expect(medianSeconds([1_400])).toBe(1);
	});
});
