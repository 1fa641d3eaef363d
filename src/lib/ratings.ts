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

/** A rating on the scale by its label; an aggregate between two points as a number. */
export function ratingText(scale: RatingScale, rating: number): string {
	if (isOnScale(scale, rating)) return ratingLabel(scale, rating);
	const rounded = String(Math.round(rating * 100) / 100);
	return scale === 'five_star' ? `${rounded} stars` : rounded;
}

/** What decides an example's status, as the examples list explains it. */
export type StatusFacts = {
	status: 'queued' | 'in_review' | 'accepted' | 'rejected' | 'disputed';
	hasOutput: boolean;
	reviewCount: number;
	finalRating: number | null;
	isGold: boolean;
	goldRating: number | null;
	/** An admin resolved a dispute on the current revision. */
	adjudicated: boolean;
	/** The reviews of the current revision, which say why a dispute is one. */
	reviews: { rating: number; decision: string }[];
};

/** Why an example has its status, in a few words. */
export function statusReason(
	facts: StatusFacts,
	rules: {
		ratingScale: RatingScale;
		threshold: number;
		aggregation: Aggregation;
		reviewsRequired: number;
	}
): string {
	const { status, finalRating } = facts;
	if (status === 'queued' && !facts.hasOutput) return 'Waiting for an output';
	if (status === 'queued' || status === 'in_review') {
		return `${facts.reviewCount} of ${rules.reviewsRequired} ${rules.reviewsRequired === 1 ? 'review' : 'reviews'}`;
	}
	if (status === 'disputed') {
		const why = verdict(facts.reviews, rules).reason ?? 'the reviews disagree';
		return why[0].toUpperCase() + why.slice(1);
	}
	if (facts.isGold && facts.goldRating !== null) {
		return `Gold: true rating ${ratingText(rules.ratingScale, facts.goldRating)}`;
	}
	if (finalRating === null) {
		if (facts.adjudicated) return 'Adjudicated';
		return status === 'accepted' ? 'Accepted by its reviewers' : 'Rejected by its reviewers';
	}
	const rating = ratingText(rules.ratingScale, finalRating);
	if (facts.adjudicated) return `Adjudicated: ${rating}`;
	const threshold = ratingLabel(rules.ratingScale, rules.threshold);
	const clears = finalRating >= rules.threshold;
	if (status === 'accepted') {
		// The threshold may have been raised since the reviews came in.
		return clears
			? `${rating} meets ${threshold}`
			: `${rating}, accepted under an earlier threshold`;
	}
	return clears ? 'Its reviewers rejected it' : `${rating} is below ${threshold}`;
}
