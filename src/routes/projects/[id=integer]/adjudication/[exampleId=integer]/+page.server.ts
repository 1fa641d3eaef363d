import { error, fail, redirect } from '@sveltejs/kit';
import { resolve } from '$app/paths';
import { z } from 'zod';
import { verdict } from '$lib/ratings';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { resolveSchema } from '$lib/schemas/adjudication';
import {
	adjudicate,
	DISPUTE_ORDERS,
	getAdjudication,
	listDisputed
} from '$lib/server/adjudication';
import { getExampleDetail } from '$lib/server/examples';
import { requireProjectAdmin } from '$lib/server/guards';
import type { Actions, PageServerLoad } from './$types';

/** The list's order, which the next dispute after a resolution follows. */
const orderOf = (url: URL) =>
	z.enum(DISPUTE_ORDERS).catch('oldest').parse(url.searchParams.get('order'));

export const load: PageServerLoad = async (event) => {
	const { user, project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const exampleId = Number(event.params.exampleId);
	const detail = await getExampleDetail(db, project.id, exampleId, user);
	if (!detail) error(404, 'No such example in this project.');
	const current = detail.revisions.find((r) => r.id === detail.example.currentRevisionId) ?? null;
	const reviews = current?.reviews ?? [];
	return {
		example: detail.example,
		output: current?.output ?? null,
		reviews,
		disputedBecause:
			detail.example.status === 'disputed' && reviews.length > 0
				? verdict(reviews, project).reason
				: null,
		adjudication: await getAdjudication(db, exampleId),
		inputKind: project.inputKind,
		outputKind: project.outputKind,
		outputSchema: project.outputSchema,
		order: orderOf(event.url),
		ratingScale: project.ratingScale,
		threshold: project.threshold
	};
};

export const actions: Actions = {
	resolve: async (event) => {
		const { user, project } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = {
			rating: formText(form, 'rating'),
			decision: formText(form, 'decision'),
			reason: formText(form, 'reason'),
			output: formText(form, 'output')
		};
		const parsed = resolveSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, { message: null, values, errors: fieldErrors(parsed.error) });
		}
		const db = event.locals.db;
		const result = await adjudicate(
			db,
			project.id,
			user.id,
			{ exampleId: Number(event.params.exampleId), ...parsed.data },
			new Date()
		);
		if (!result.ok) {
			return fail(result.status, {
				message: result.message,
				values,
				errors: result.field ? { [result.field]: [result.message] } : {}
			});
		}
		const id = String(project.id);
		const order = orderOf(event.url);
		const next = (await listDisputed(db, project.id, { limit: 1, order })).items[0];
		const query = order === 'oldest' ? '' : `?order=${order}`;
		redirect(
			303,
			(next
				? resolve('/projects/[id=integer]/adjudication/[exampleId=integer]', {
						id,
						exampleId: String(next.id)
					})
				: resolve('/projects/[id=integer]/adjudication', { id })) + query
		);
	}
};
