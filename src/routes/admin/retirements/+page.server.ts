import { error, fail } from '@sveltejs/kit';
import { z } from 'zod';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { retirementSchema } from '$lib/schemas/provider';
import { requireRole } from '$lib/server/guards';
import {
	dayOf,
	listRetirements,
	removeRetirement,
	retirementOf,
	saveRetirement
} from '$lib/server/finetune/retirement';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	const rows = await listRetirements(event.locals.db);
	const now = new Date();
	return {
		retirements: rows.map((row) => ({
			id: row.id,
			model: row.model,
			day: dayOf(row.retiresOn),
			date: row.retiresOn.toISOString().slice(0, 10),
			source: row.source,
			state: retirementOf([row], row.model, now)?.state ?? null
		}))
	};
};

export const actions: Actions = {
	save: async (event) => {
		requireRole(event, 'admin');
		const form = await event.request.formData();
		const values = {
			model: formText(form, 'model'),
			retiresOn: formText(form, 'retiresOn'),
			source: formText(form, 'source')
		};
		const parsed = retirementSchema.safeParse(values);
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		await saveRetirement(event.locals.db, parsed.data);
		return { message: `${parsed.data.model}: retires on ${dayOf(parsed.data.retiresOn)}.` };
	},
	remove: async (event) => {
		requireRole(event, 'admin');
		const id = z.coerce
			.number()
			.int()
			.positive()
			.safeParse(formText(await event.request.formData(), 'id'));
		if (!id.success) return fail(400, { message: 'Choose a row to remove.' });
		if (!(await removeRetirement(event.locals.db, id.data))) error(404, 'No such retirement date.');
		return { message: 'Removed.' };
	}
};
