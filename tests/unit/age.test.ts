import { describe, expect, it } from 'vitest';
import { ageText } from '$lib/age';

const now = new Date('2026-12-05T12:00:00Z');
const before = (ms: number) => new Date(now.getTime() - ms);

describe('ageText', () => {
	it('says the largest whole unit, rounding down', () => {
		expect(ageText(before(59_999), now)).toBe('under a minute');
		expect(ageText(before(60_000), now)).toBe('1 min');
		expect(ageText(before(59 * 60_000 + 59_999), now)).toBe('59 min');
		expect(ageText(before(3 * 3_600_000 + 1), now)).toBe('3 h');
		expect(ageText(before(47 * 3_600_000), now)).toBe('1 d');
	});

	it('reads a time a little ahead (another clock) as just now', () => {
		expect(ageText(new Date(now.getTime() + 5_000), now)).toBe('under a minute');
	});
});
