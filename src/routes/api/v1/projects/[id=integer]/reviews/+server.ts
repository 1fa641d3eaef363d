import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiMember } from '$lib/server/guards';
import { submitReview } from '$lib/server/reviews';
import type { RequestHandler } from './$types';

/** A review of a leased example, with the review screen's rules and messages. */
export const POST: RequestHandler = async (event) => {
	const { project, user } = await apiMember(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.submitReview.body.safeParse(read.body);
	if (!parsed.success) return invalid('The review is incomplete.', parsed.error);
	const { requirementRatings, ...review } = parsed.data;
	const result = await submitReview(
		event.locals.db,
		project,
		user.id,
		{
			...review,
			requirementRatings: new Map(requirementRatings.map((r) => [r.requirementId, r.rating]))
		},
		new Date()
	);
	if (!result.ok) {
		const issues = result.field ? { [result.field]: [result.message] } : undefined;
		return json({ message: result.message, issues }, { status: result.status });
	}
	return json(
		{
			reviewId: result.reviewId,
			exampleId: review.exampleId,
			status: result.status,
			...(result.newRevisionId ? { newRevisionId: result.newRevisionId } : {})
		},
		{ status: result.duplicate ? 200 : 201 }
	);
};
