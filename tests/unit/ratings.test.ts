import { describe, expect, it } from 'vitest';
import {
	aggregate,
	isOnScale,
	SCALES,
	statusReason,
	topOfScale,
	verdict,
	type Aggregation
} from '$lib/ratings';

type Decision = 'accept' | 'reject';
const reviews = (...pairs: [number, Decision][]) =>
	pairs.map(([rating, decision]) => ({ rating, decision }));

const fiveStar = (threshold: number, aggregation: Aggregation = 'mean') =>
	({ ratingScale: 'five_star', threshold, aggregation }) as const;

describe('scales', () => {
	it('lists each scale’s values and its top', () => {
		expect(SCALES.five_star.map((v) => v.value)).toEqual([1, 2, 3, 4, 5]);
		expect(SCALES.pass_fail.map((v) => v.value)).toEqual([0, 1]);
		expect(SCALES.pass_fail_critical.map((v) => v.value)).toEqual([0, 1, 2]);
		expect(topOfScale('five_star')).toBe(5);
		expect(topOfScale('pass_fail')).toBe(1);
		expect(topOfScale('pass_fail_critical')).toBe(2);
	});

	it('refuses ratings off the scale, fractions included', () => {
		expect(isOnScale('five_star', 5)).toBe(true);
		expect(isOnScale('five_star', 0)).toBe(false);
		expect(isOnScale('five_star', 6)).toBe(false);
		expect(isOnScale('five_star', 4.5)).toBe(false);
		expect(isOnScale('pass_fail', 0)).toBe(true);
		expect(isOnScale('pass_fail', 2)).toBe(false);
		expect(isOnScale('pass_fail_critical', 2)).toBe(true);
		expect(isOnScale('pass_fail_critical', -1)).toBe(false);
	});
});

describe('aggregate', () => {
	it('averages under mean', () => {
		expect(aggregate([1, 2, 4], 'mean')).toBeCloseTo(7 / 3, 10);
		expect(aggregate([5, 4], 'mean')).toBe(4.5);
	});

	it('takes the middle value of an odd count under median, unsorted input included', () => {
		expect(aggregate([5, 1, 3], 'median')).toBe(3);
		expect(aggregate([2, 5, 5, 1, 4], 'median')).toBe(4);
	});

	it('averages the two middle values of an even count under median', () => {
		expect(aggregate([5, 1, 4, 2], 'median')).toBe(3);
		expect(aggregate([4, 5], 'median')).toBe(4.5);
	});

	it('takes the most frequent value under majority and gives null for a tie', () => {
		expect(aggregate([4, 2, 4], 'majority')).toBe(4);
		expect(aggregate([0, 0, 1, 1, 0], 'majority')).toBe(0);
		expect(aggregate([4, 2], 'majority')).toBeNull();
		expect(aggregate([1, 2, 3], 'majority')).toBeNull();
	});

	it('gives null for no ratings under every method', () => {
		expect(aggregate([], 'mean')).toBeNull();
		expect(aggregate([], 'median')).toBeNull();
		expect(aggregate([], 'majority')).toBeNull();
	});
});

describe('verdict', () => {
	it('accepts a single accepting review at or above the threshold', () => {
		expect(verdict(reviews([5, 'accept']), fiveStar(4))).toEqual({
			status: 'accepted',
			finalRating: 5,
			finalDecision: 'accept',
			reason: null
		});
		expect(verdict(reviews([4, 'accept']), fiveStar(4))).toMatchObject({
			status: 'accepted',
			finalRating: 4
		});
	});

	it('rejects an accepting review whose rating is below the threshold', () => {
		expect(verdict(reviews([3, 'accept']), fiveStar(4))).toEqual({
			status: 'rejected',
			finalRating: 3,
			finalDecision: 'reject',
			reason: null
		});
	});

	it('rejects a rejecting review even when its rating clears the threshold', () => {
		expect(verdict(reviews([5, 'reject']), fiveStar(4))).toMatchObject({
			status: 'rejected',
			finalRating: 5,
			finalDecision: 'reject'
		});
	});

	it('disputes ratings on both sides of the threshold, keeping the aggregate', () => {
		expect(verdict(reviews([4, 'accept'], [3, 'accept']), fiveStar(4))).toEqual({
			status: 'disputed',
			finalRating: 3.5,
			finalDecision: null,
			reason: 'ratings on both sides of the threshold'
		});
	});

	it('disputes five-star ratings more than one star apart on the same side', () => {
		const result = verdict(reviews([5, 'accept'], [3, 'accept']), fiveStar(3));
		expect(result).toMatchObject({ status: 'disputed', finalRating: 4, finalDecision: null });
		expect(result.reason).toBe('ratings more than one star apart');
		// One star apart is agreement.
		expect(verdict(reviews([5, 'accept'], [4, 'accept']), fiveStar(3))).toMatchObject({
			status: 'accepted',
			finalRating: 4.5
		});
	});

	it('disputes accept against reject with the same ratings', () => {
		expect(verdict(reviews([4, 'accept'], [4, 'reject']), fiveStar(4))).toMatchObject({
			status: 'disputed',
			finalRating: 4,
			reason: 'some accepted and some rejected'
		});
	});

	it('uses the project’s aggregation for the final rating', () => {
		const three = reviews([4, 'accept'], [5, 'accept'], [5, 'accept']);
		expect(verdict(three, fiveStar(4, 'mean')).finalRating).toBeCloseTo(14 / 3, 10);
		expect(verdict(three, fiveStar(4, 'median')).finalRating).toBe(5);
		expect(verdict(three, fiveStar(4, 'majority')).finalRating).toBe(5);
	});

	it('disputes a tied majority', () => {
		expect(verdict(reviews([4, 'accept'], [5, 'accept']), fiveStar(4, 'majority'))).toEqual({
			status: 'disputed',
			finalRating: null,
			finalDecision: null,
			reason: 'no majority'
		});
	});

	it('settles pass/fail reviews on the pass threshold', () => {
		const rules = { ratingScale: 'pass_fail', threshold: 1, aggregation: 'majority' } as const;
		expect(verdict(reviews([1, 'accept'], [1, 'accept']), rules)).toMatchObject({
			status: 'accepted',
			finalRating: 1,
			finalDecision: 'accept'
		});
		expect(verdict(reviews([0, 'reject'], [0, 'reject']), rules)).toMatchObject({
			status: 'rejected',
			finalRating: 0,
			finalDecision: 'reject'
		});
		expect(verdict(reviews([1, 'accept'], [0, 'reject']), rules)).toMatchObject({
			status: 'disputed',
			reason: 'ratings on both sides of the threshold'
		});
		expect(verdict(reviews([1, 'reject']), rules)).toMatchObject({ status: 'rejected' });
	});

	it('applies no star spread to pass/fail/critical, but a tied majority is still disputed', () => {
		const mean = { ratingScale: 'pass_fail_critical', threshold: 2, aggregation: 'mean' } as const;
		// Critical fail and fail are both failing: no dispute, rejected at their mean.
		expect(verdict(reviews([0, 'reject'], [1, 'reject']), mean)).toMatchObject({
			status: 'rejected',
			finalRating: 0.5,
			finalDecision: 'reject'
		});
		expect(
			verdict(reviews([0, 'reject'], [1, 'reject']), { ...mean, aggregation: 'majority' })
		).toMatchObject({ status: 'disputed', finalRating: null, reason: 'no majority' });
		expect(verdict(reviews([2, 'accept'], [2, 'accept'], [2, 'accept']), mean)).toMatchObject({
			status: 'accepted',
			finalRating: 2
		});
	});
});

describe('statusReason', () => {
	const rules = { ...fiveStar(4), reviewsRequired: 2 };
	const facts = {
		hasOutput: true,
		reviewCount: 2,
		finalRating: null,
		isGold: false,
		goldRating: null,
		adjudicated: false,
		reviews: []
	};

	it('names the reviews still wanted, or the missing output', () => {
		expect(statusReason({ ...facts, status: 'queued', hasOutput: false }, rules)).toBe(
			'Waiting for an output'
		);
		expect(statusReason({ ...facts, status: 'in_review', reviewCount: 1 }, rules)).toBe(
			'1 of 2 reviews'
		);
		expect(
			statusReason({ ...facts, status: 'queued', reviewCount: 0 }, { ...rules, reviewsRequired: 1 })
		).toBe('0 of 1 review');
	});

	it('gives a dispute the reason the verdict found', () => {
		const split = reviews([5, 'accept'], [4, 'reject']);
		expect(statusReason({ ...facts, status: 'disputed', reviews: split }, rules)).toBe(
			'Some accepted and some rejected'
		);
	});

	it('compares a final rating with the threshold in the scale’s words', () => {
		expect(statusReason({ ...facts, status: 'accepted', finalRating: 4.5 }, rules)).toBe(
			'4.5 stars meets 4 stars'
		);
		expect(statusReason({ ...facts, status: 'rejected', finalRating: 3 }, rules)).toBe(
			'3 stars is below 4 stars'
		);
		expect(statusReason({ ...facts, status: 'rejected', finalRating: 4 }, rules)).toBe(
			'Its reviewers rejected it'
		);
		const passFail = { ...rules, ratingScale: 'pass_fail' as const, threshold: 1 };
		expect(statusReason({ ...facts, status: 'rejected', finalRating: 0 }, passFail)).toBe(
			'Fail is below Pass'
		);
	});

	it('says when an accepted example no longer meets a threshold raised since', () => {
		expect(statusReason({ ...facts, status: 'accepted', finalRating: 3 }, rules)).toBe(
			'3 stars, accepted under an earlier threshold'
		);
		expect(statusReason({ ...facts, status: 'rejected', finalRating: null }, rules)).toBe(
			'Rejected by its reviewers'
		);
	});

	it('puts gold and adjudication before the reviews', () => {
		expect(statusReason({ ...facts, status: 'accepted', isGold: true, goldRating: 5 }, rules)).toBe(
			'Gold: true rating 5 stars'
		);
		expect(
			statusReason({ ...facts, status: 'rejected', finalRating: 2, adjudicated: true }, rules)
		).toBe('Adjudicated: 2 stars');
	});
});
