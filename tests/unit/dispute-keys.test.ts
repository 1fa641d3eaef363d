import { describe, expect, it } from 'vitest';
import { SCALES } from '$lib/ratings';
import {
	disputeKeyFor,
	DISPUTE_SHORTCUTS
} from '../../src/routes/projects/[id=integer]/adjudication/[exampleId=integer]/keys';

describe('the keys of a dispute', () => {
	it("rate on the project's own scale", () => {
		expect(disputeKeyFor('4', SCALES.five_star)).toEqual({ kind: 'rate', value: 4 });
		expect(disputeKeyFor('4', SCALES.pass_fail)).toBeNull();
		expect(disputeKeyFor('C', SCALES.pass_fail_critical)).toEqual({ kind: 'rate', value: 0 });
	});

	it('decide, repair, write the reason and resolve as on the review screen', () => {
		expect(disputeKeyFor('a', SCALES.five_star)).toEqual({ kind: 'decide', decision: 'accept' });
		expect(disputeKeyFor('r', SCALES.pass_fail)).toEqual({ kind: 'decide', decision: 'reject' });
		expect(disputeKeyFor('e', SCALES.five_star)).toEqual({ kind: 'edit' });
		expect(disputeKeyFor('n', SCALES.five_star)).toEqual({ kind: 'reason' });
		expect(disputeKeyFor('Enter', SCALES.five_star)).toEqual({ kind: 'resolve' });
		expect(disputeKeyFor('x', SCALES.five_star)).toBeNull();
	});

	it("list every scale's keys in the help", () => {
		expect(DISPUTE_SHORTCUTS(SCALES.pass_fail_critical)[0][0]).toBe('C F P');
	});
});
