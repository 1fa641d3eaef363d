import { error, fail } from '@sveltejs/kit';
import { z } from 'zod';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { modelSchema, providerSchema } from '$lib/schemas/provider';
import { requireRole } from '$lib/server/guards';
import {
	addModel,
	createProvider,
	deleteModel,
	deleteProvider,
	listProviders,
	testConnection
} from '$lib/server/providers';
import type { Actions, PageServerLoad } from './$types';

const idSchema = z.coerce.number().int().positive();

export const load: PageServerLoad = async (event) => {
	requireRole(event, 'admin');
	return { providers: await listProviders(event.locals.db) };
};

function providerIdOf(form: FormData): number | null {
	const parsed = idSchema.safeParse(formText(form, 'providerId'));
	return parsed.success ? parsed.data : null;
}

export const actions: Actions = {
	create: async (event) => {
		requireRole(event, 'admin');
		const form = await event.request.formData();
		// The key is never sent back, not even to the page that had it.
		const values = {
			name: formText(form, 'name'),
			baseUrl: formText(form, 'baseUrl'),
			accountId: formText(form, 'accountId'),
			requestsPerMinute: formText(form, 'requestsPerMinute'),
			tokensPerMinute: formText(form, 'tokensPerMinute')
		};
		const parsed = providerSchema.safeParse({ ...values, apiKey: formText(form, 'apiKey') });
		if (!parsed.success) {
			return fail(400, { action: 'create', values, errors: fieldErrors(parsed.error) });
		}
		await createProvider(event.locals.db, event.locals.secretKey, parsed.data);
		return {
			action: 'create',
			message: `Provider “${parsed.data.name}” added. Test it, then add its models.`
		};
	},
	test: async (event) => {
		requireRole(event, 'admin');
		const providerId = providerIdOf(await event.request.formData());
		if (providerId === null)
			return fail(400, { action: 'test', tone: 'error', message: 'Choose a provider.' });
		const result = await testConnection(event.locals.db, event.locals.secretKey, providerId);
		if (!result.ok)
			return fail(400, { action: 'test', providerId, tone: 'error', message: result.message });
		return { action: 'test', providerId, available: result.models };
	},
	remove: async (event) => {
		requireRole(event, 'admin');
		const providerId = providerIdOf(await event.request.formData());
		if (providerId === null)
			return fail(400, { action: 'remove', tone: 'error', message: 'Choose a provider.' });
		const removed = await deleteProvider(event.locals.db, providerId);
		if (!removed.ok) {
			if (removed.status === 404) error(404, removed.message);
			return fail(409, { action: 'remove', providerId, tone: 'error', message: removed.message });
		}
		return { action: 'remove', tone: 'ok', message: 'Provider removed, with its models.' };
	},
	addModel: async (event) => {
		requireRole(event, 'admin');
		const form = await event.request.formData();
		const providerId = providerIdOf(form);
		if (providerId === null)
			return fail(400, { action: 'addModel', tone: 'error', message: 'Choose a provider.' });
		const values = {
			name: formText(form, 'name'),
			inputPricePerMTok: formText(form, 'inputPricePerMTok') || '0',
			outputPricePerMTok: formText(form, 'outputPricePerMTok') || '0'
		};
		const parsed = modelSchema.safeParse(values);
		if (!parsed.success) {
			return fail(400, {
				action: 'addModel',
				providerId,
				values,
				errors: fieldErrors(parsed.error)
			});
		}
		if (!(await listProviders(event.locals.db)).some((p) => p.id === providerId)) {
			error(404, 'No such provider.');
		}
		await addModel(event.locals.db, providerId, parsed.data);
		return {
			action: 'addModel',
			providerId,
			tone: 'ok',
			message: `Model “${parsed.data.name}” saved.`
		};
	},
	removeModel: async (event) => {
		requireRole(event, 'admin');
		const form = await event.request.formData();
		const providerId = providerIdOf(form);
		const modelId = idSchema.safeParse(formText(form, 'modelId'));
		if (providerId === null || !modelId.success) {
			return fail(400, { action: 'removeModel', tone: 'error', message: 'Choose a model.' });
		}
		const removed = await deleteModel(event.locals.db, providerId, modelId.data);
		if (!removed.ok) {
			if (removed.status === 404) error(404, removed.message);
			return fail(409, {
				action: 'removeModel',
				providerId,
				tone: 'error',
				message: removed.message
			});
		}
		return { action: 'removeModel', providerId, tone: 'ok', message: 'Model removed.' };
	}
};
