// Rating scales and how reviews combine into a final rating. Pure, so the review screen and
// the server agree on every rule.
export type RatingScale = 'five_star' | 'pass_fail' | 'pass_fail_critical';
export type Aggregation = 'mean' | 'median' | 'majority';

/** A value on a scale; `short` is what its button shows, `label` what it is called. */
export type ScaleValue = { value: number; label: string; short: string; key: string };

export const SCALES: Record<RatingScale, ScaleValue[]> = {
	five_star: [1, 2, 3, 4, 5].map((n) => ({
		short: String(n),
		value: n,
		label: `${n} star${n === 1 ? '' : 's'}`,
		key: String(n)
	})),
	pass_fail: [
		{ value: 0, label: 'Fail', short: 'Fail', key: 'f' },
		{ value: 1, label: 'Pass', short: 'Pass', key: 'p' }
	],
	pass_fail_critical: [
		{ value: 0, label: 'Critical fail', short: 'Critical', key: 'c' },
		{ value: 1, label: 'Fail', short: 'Fail', key: 'f' },
		{ value: 2, label: 'Pass', short: 'Pass', key: 'p' }
	]
};

export function isOnScale(scale: RatingScale, rating: number): boolean {
	return SCALES[scale].some((v) => v.value === rating);
}

export function topOfScale(scale: RatingScale): number {
	const values = SCALES[scale];
	return values[values.length - 1].value;
}

export function ratingLabel(scale: RatingScale, rating: number): string {
	return SCALES[scale].find((v) => v.value === rating)?.label ?? String(rating);
}

/** The aggregate of ratings, or null where there is none (no ratings, or a tied majority). */
export function aggregate(ratings: number[], method: Aggregation): number | null {
	if (ratings.length === 0) return null;
	if (method === 'mean') return ratings.reduce((a, b) => a + b, 0) / ratings.length;
	if (method === 'median') {
		const sorted = [...ratings].sort((a, b) => a - b);
		const middle = Math.floor(sorted.length / 2);
		return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	}
	const tally = new Map<number, number>();
	for (const r of ratings) tally.set(r, (tally.get(r) ?? 0) + 1);
	const most = Math.max(...tally.values());
	const leaders = [...tally].filter(([, n]) => n === most);
	return leaders.length === 1 ? leaders[0][0] : null;
}

export type Verdict = {
	status: 'accepted' | 'rejected' | 'disputed';
	finalRating: number | null;
	finalDecision: 'accept' | 'reject' | null;
	/** Why an example is disputed, for the adjudicator. */
	reason: string | null;
};

/**
 * The verdict on a revision once it has all its reviews. Disputed when the reviews fall on
 * both sides of the threshold, spread more than one star, disagree on accept and reject, or
 * tie under majority vote; otherwise accepted when the final rating meets the threshold and
 * every decision accepts, else rejected.
 */
export function verdict(
	reviews: { rating: number; decision: string }[],
	rules: { ratingScale: RatingScale; threshold: number; aggregation: Aggregation }
): Verdict {
	const ratings = reviews.map((r) => r.rating);
	const passing = ratings.filter((r) => r >= rules.threshold).length;
	const accepts = reviews.filter((r) => r.decision === 'accept').length;
	const finalRating = aggregate(ratings, rules.aggregation);
	const disputed = (reason: string): Verdict => ({
		status: 'disputed',
		finalRating,
		finalDecision: null,
		reason
	});
	if (passing > 0 && passing < ratings.length)
		return disputed('ratings on both sides of the threshold');
	if (rules.ratingScale === 'five_star' && Math.max(...ratings) - Math.min(...ratings) > 1) {
		return disputed('ratings more than one star apart');
	}
	if (accepts > 0 && accepts < reviews.length) return disputed('some accepted and some rejected');
	if (finalRating === null) return disputed('no majority');
	const accepted = finalRating >= rules.threshold && accepts === reviews.length;
	return {
		status: accepted ? 'accepted' : 'rejected',
		finalRating,
		finalDecision: accepted ? 'accept' : 'reject',
		reason: null
	};
}
