import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashText, splitForInputHash } from '$lib/server/split';

const DEFAULT_RATIOS = { splitTrain: 80, splitVal: 10, splitTest: 10 };

/** A hash whose first eight hex digits are `prefix`; the rest never matters. */
const hashStartingWith = (prefix: string) => prefix.padEnd(64, '0');

describe('hashText', () => {
	it('is the hex SHA-256 of the UTF-8 text', () => {
		expect(hashText('abc')).toBe(
			'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
		);
		const text = 'Grüße, 世界 🌍\nline two';
		expect(hashText(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
	});

	it('tells apart texts that differ only in whitespace or case', () => {
		expect(hashText('Hello')).not.toBe(hashText('hello'));
		expect(hashText('Hello')).not.toBe(hashText('Hello '));
	});
});

describe('splitForInputHash', () => {
	it('puts the bottom of the hash range in train and the top in test', () => {
		expect(splitForInputHash(hashStartingWith('00000000'), DEFAULT_RATIOS)).toBe('train');
		expect(splitForInputHash(hashStartingWith('ffffffff'), DEFAULT_RATIOS)).toBe('test');
	});

	it('cuts exactly at the percentage boundaries', () => {
		// 0.8 × 2³² = 3435973836.8 and 0.9 × 2³² = 3865470566.4
		expect(splitForInputHash(hashStartingWith('cccccccc'), DEFAULT_RATIOS)).toBe('train');
		expect(splitForInputHash(hashStartingWith('cccccccd'), DEFAULT_RATIOS)).toBe('val');
		expect(splitForInputHash(hashStartingWith('e6666666'), DEFAULT_RATIOS)).toBe('val');
		expect(splitForInputHash(hashStartingWith('e6666667'), DEFAULT_RATIOS)).toBe('test');
	});

	it('reads only the first eight hex digits', () => {
		expect(splitForInputHash('cccccccd' + 'f'.repeat(56), DEFAULT_RATIOS)).toBe('val');
		expect(splitForInputHash('cccccccc' + 'f'.repeat(56), DEFAULT_RATIOS)).toBe('train');
	});

	it('gives the same split for the same input every time', () => {
		const hash = hashText('What is the capital of France?');
		const first = splitForInputHash(hash, DEFAULT_RATIOS);
		for (let i = 0; i < 20; i++) expect(splitForInputHash(hash, DEFAULT_RATIOS)).toBe(first);
	});

	it('moves a hash to another split when the ratios change', () => {
		const hash = hashStartingWith('d0000000'); // bucket ≈ 81.25
		expect(splitForInputHash(hash, DEFAULT_RATIOS)).toBe('val');
		expect(splitForInputHash(hash, { splitTrain: 90, splitVal: 5, splitTest: 5 })).toBe('train');
		expect(splitForInputHash(hash, { splitTrain: 70, splitVal: 10, splitTest: 20 })).toBe('test');
	});

	it('never picks a split whose share is zero', () => {
		const top = hashStartingWith('ffffffff');
		const bottom = hashStartingWith('00000000');
		expect(splitForInputHash(top, { splitTrain: 100, splitVal: 0, splitTest: 0 })).toBe('train');
		expect(splitForInputHash(top, { splitTrain: 90, splitVal: 10, splitTest: 0 })).toBe('val');
		expect(splitForInputHash(bottom, { splitTrain: 90, splitVal: 0, splitTest: 10 })).toBe('train');
		// Ratios that fall short of 100 still land in a split that has a share.
		expect(splitForInputHash(top, { splitTrain: 50, splitVal: 0, splitTest: 0 })).toBe('train');
		expect(splitForInputHash(top, { splitTrain: 50, splitVal: 20, splitTest: 0 })).toBe('val');
	});

	it('spreads many hashes in proportion to the ratios', () => {
		const counts = { train: 0, val: 0, test: 0 };
		for (let i = 0; i < 10_000; i++) {
			counts[splitForInputHash(hashText(`input number ${i}`), DEFAULT_RATIOS)] += 1;
		}
		expect(counts.train).toBeGreaterThan(7_750);
		expect(counts.train).toBeLessThan(8_250);
		expect(counts.val).toBeGreaterThan(850);
		expect(counts.val).toBeLessThan(1_150);
		expect(counts.test).toBeGreaterThan(850);
		expect(counts.test).toBeLessThan(1_150);
	});
});
