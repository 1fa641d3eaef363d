import { describe, expect, it } from 'vitest';
import { formatMoment, readerLocale } from '$lib/dates';

describe('readerLocale', () => {
	it('takes the first language of the header this runtime knows, else English', () => {
		expect(readerLocale('de-DE,de;q=0.9,en;q=0.8')).toBe('de-DE');
		expect(readerLocale('not a tag!!, fr;q=0.5')).toBe('fr');
		expect(readerLocale('*')).toBe('en');
		expect(readerLocale(null)).toBe('en');
	});
});

describe('formatMoment', () => {
	const at = new Date('2026-12-05T13:05:00Z');
	// ICU versions differ in which space sits before "PM"; the order of the parts is the point.
	const format = (...args: Parameters<typeof formatMoment>) =>
		formatMoment(...args).replace(/\s/g, ' ');

	it("writes the reader's order of day, month and year, in UTC until a zone is known", () => {
		expect(format(at, 'en-US')).toBe('Dec 5, 2026, 1:05 PM UTC');
		expect(format(at, 'de-DE')).toBe('05.12.2026, 13:05 UTC');
		expect(format(at, 'en-GB', { dateOnly: true })).toBe('5 Dec 2026');
	});

	it("moves to the reader's zone once it is known", () => {
		expect(format(at, 'en-GB', { timeZone: 'Asia/Tokyo' })).toBe('5 Dec 2026, 22:05');
	});
});
