import { json } from '@sveltejs/kit';
import { OPERATIONS } from '$lib/api/contract';
import { bodyOf, invalid } from '$lib/server/apiResponses';
import { apiProjectAdmin } from '$lib/server/guards';
import { importReviews } from '$lib/server/reviewImport';
import type { RequestHandler } from './$types';

/** Reviews made elsewhere, all or nothing; each bad one named by its place in the list. */
export const POST: RequestHandler = async (event) => {
	const { project } = await apiProjectAdmin(event, Number(event.params.id));
	const read = await bodyOf(event.request);
	if ('response' in read) return read.response;
	const parsed = OPERATIONS.importReviews.body.safeParse(read.body);
	if (!parsed.success) return invalid('Some reviews have a problem.', parsed.error);
	const result = await importReviews(event.locals.db, project, parsed.data.reviews, new Date());
	if (!result.ok) {
		const issues: Record<string, string[]> = {};
		for (const { index, message } of result.errors)
			(issues[`reviews.${index}`] ??= []).push(message);
		const count = result.errors.length;
		return json(
			{
				message: `${count} review${count === 1 ? ' has a problem' : 's have problems'}; nothing was imported.`,
				issues
			},
			{ status: 400 }
		);
	}
	return json({ imported: result.imported, examples: result.examples }, { status: 201 });
};
