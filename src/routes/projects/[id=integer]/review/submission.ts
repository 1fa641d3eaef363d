import type { ActionOutcome, Item } from './client';

/** What the annotator has chosen for the example on screen. */
export type Judgment = {
	rating: number;
	decision: string;
	comment: string;
	requirementRatings: Record<number, number | undefined>;
	/** The repaired output, sent with a repair. */
	draft: string;
	durationMs: number;
};

/** The review as the form action takes it; the same body is what a retry sends again. */
export function reviewBody(item: Item, judgment: Judgment): FormData {
	const body = new FormData();
	body.set('exampleId', String(item.exampleId));
	body.set('revisionId', String(item.revisionId));
	body.set('submissionKey', item.submissionKey);
	body.set('rating', String(judgment.rating));
	body.set('decision', judgment.decision);
	body.set('comment', judgment.comment);
	body.set('durationMs', String(Math.round(judgment.durationMs)));
	for (const [id, value] of Object.entries(judgment.requirementRatings)) {
		if (value !== undefined) body.set(`requirement-${id}`, String(value));
	}
	if (judgment.decision === 'repair') body.set('output', judgment.draft);
	return body;
}

/**
 * A review sent without a sure answer. It is sent again exactly as it was, with the same
 * submission key: the server saves one review per key, and answers a resend of one it already
 * has with that review, so a review whose answer was lost on the way back is not saved twice.
 */
export type HeldReview = { exampleId: number; body: FormData };

/** The banner for a review the server does not have, or may not have. */
export function notSavedMessage(
	exampleId: number,
	outcome: Exclude<ActionOutcome, { kind: 'done' }>
): string {
	const start = `Your review of example ${exampleId} was not saved:`;
	if (outcome.kind === 'refused') return `${start} ${outcome.message}`;
	return `${start} ${outcome.reason} It is kept here as you sent it; press Enter or Retry to send it again.`;
}

/** The id of the review the server saved, for Undo. */
export function savedReviewId(outcome: ActionOutcome): number | undefined {
	if (outcome.kind !== 'done') return undefined;
	return (outcome.data as { saved?: { reviewId: number } } | undefined)?.saved?.reviewId;
}
