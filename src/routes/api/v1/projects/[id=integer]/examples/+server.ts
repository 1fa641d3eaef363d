import { json } from '@sveltejs/kit';
import { Readable } from 'node:stream';
import { OPERATIONS } from '$lib/api/contract';
import { IMPORT_ERRORS_LISTED } from '$lib/api/operations/examples';
import { invalid } from '$lib/server/apiResponses';
import { listExamples } from '$lib/server/examples';
import { apiMember, apiProjectAdmin } from '$lib/server/guards';
import { importExamples } from '$lib/server/import';
import type { RequestHandler } from './$types';

/** A page of examples, newest first; `before` takes the next page. Source is for admins only. */
export const GET: RequestHandler = async (event) => {
	const { user, project } = await apiMember(event, Number(event.params.id));
	const parsed = OPERATIONS.listExamples.query.safeParse(
		Object.fromEntries(event.url.searchParams)
	);
	if (!parsed.success) return invalid('The query has a problem.', parsed.error);
	const filter = parsed.data;
	const isAdmin = user.role === 'admin';
	if (!isAdmin) {
		delete filter.source;
		delete filter.job;
	}
	const page = await listExamples(event.locals.db, project.id, filter);
	return json({
		items: page.items.map(({ source, ...item }) => (isAdmin ? { ...item, source } : item)),
		nextBefore: page.olderCursor
	});
};

/**
 * Imports examples from the request body: JSONL (one object a line) or CSV with a header,
 * as the import page reads them. All or nothing: a bad body is answered with every bad line.
 */
export const POST: RequestHandler = async (event) => {
	const { user, project } = await apiProjectAdmin(event, Number(event.params.id));
	const type = event.request.headers.get('content-type') ?? '';
	const format = type.startsWith('text/csv') ? 'csv' : 'jsonl';
	if (!event.request.body) return invalid('Send the examples as the request body (JSONL or CSV).');
	const result = await importExamples(event.locals.db, project, {
		source: Readable.fromWeb(event.request.body as import('node:stream/web').ReadableStream),
		format,
		filename: `api.${format}`,
		userId: user.id,
		maxFieldBytes: event.locals.maxFieldBytes
	});
	if (!result.ok && result.busy) return json({ message: result.busy }, { status: 409 });
	if (!result.ok) {
		return json(
			{
				message: `Nothing was imported: ${result.errors.length} line(s) have problems.`,
				errors: result.errors.slice(0, IMPORT_ERRORS_LISTED)
			},
			{ status: 400 }
		);
	}
	if (result.imported === 0) {
		return json({
			imported: 0,
			skipped: result.skipped,
			message: 'Nothing new: every row is already in the project; nothing was recorded.'
		});
	}
	return json({ imported: result.imported, skipped: result.skipped }, { status: 201 });
};
