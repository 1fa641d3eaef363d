import { labelSetOf } from '$lib/server/datasets/labels';
import { error, fail, redirect } from '@sveltejs/kit';
import {
	FINE_TUNE_FIELDS,
	filterInWords,
	fineTuneFormSchema,
	servedModelSchema,
	type DatasetFilter
} from '$lib/schemas/dataset';
import { fieldErrors, formText } from '$lib/schemas/forms';
import { fineTuneSpecOf, registerServedModel, startFineTune } from '$lib/server/finetune';
import { listProviders } from '$lib/server/providers';
import { retirementNotices } from '$lib/server/finetune/retirement';
import { knownContexts, serviceRows } from '$lib/server/finetune/limits';
import { z } from 'zod';
import { datasetChange, getDataset } from '$lib/server/datasets';
import {
	checkOpenAiLines,
	downloadChoices,
	exportChunks,
	exportFiles,
	linesOf,
	reasoningNote
} from '$lib/server/datasets/export';
import { requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import { registerServedIteration } from '$lib/server/iterations';
import type { Actions, PageServerLoad } from './$types';

const estimateSchema = z.object({
	epochs: z.coerce.number().int().min(1).max(50).catch(3),
	price: z.coerce.number().min(0).max(1000).catch(0)
});

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	const db = event.locals.db;
	const found = await getDataset(db, project.id, Number(event.params.datasetId));
	if (!found) error(404, 'No such dataset in this project.');
	const estimate = estimateSchema.parse({
		epochs: event.url.searchParams.get('epochs') ?? undefined,
		price: event.url.searchParams.get('price') ?? undefined
	});
	const reasoning = event.url.searchParams.get('reasoning') === '1';
	const files = await exportFiles(db, found);
	// The check reads every line, so it runs when asked for.
	const checked = event.url.searchParams.has('check');
	const check = async (split: 'train' | 'val') =>
		await checkOpenAiLines(
			linesOf(exportChunks(db, project, found.id, { format: 'openai', split, reasoning: false })),
			knownContexts()
		);
	const checks = checked
		? { train: await check('train'), val: found.valCount > 0 ? await check('val') : null }
		: null;
	return {
		dataset: {
			...found,
			filter: JSON.parse(found.filter) as Record<string, unknown>,
			filterWords: filterInWords(JSON.parse(found.filter) as Partial<DatasetFilter>, {
				...project,
				labelCaps: labelSetOf(project)?.multiple === false
			})
		},
		change: found.previousDatasetId
			? await datasetChange(db, found.previousDatasetId, found.id)
			: null,
		checks,
		services: serviceRows(
			{
				train: { examples: files.train.examples, pairs: files.train.pairs },
				val: { examples: files.val.examples, pairs: files.val.pairs }
			},
			checks && { train: checks.train, val: checks.val }
		),
		downloads: {
			reasoning,
			choices: downloadChoices(files, reasoning),
			reasoningNote: reasoning ? reasoningNote(files) : null
		},
		estimate,
		providers: (await listProviders(db)).map((p) => ({ id: p.id, name: p.name })),
		retirements: await retirementNotices(db),
		pairs: { train: files.train.pairs, val: files.val.pairs, test: files.test.pairs }
	};
};

export const actions: Actions = {
	fineTune: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = Object.fromEntries(FINE_TUNE_FIELDS.map((f) => [f, formText(form, f)]));
		const parsed = fineTuneFormSchema.safeParse(values);
		if (!parsed.success) return fail(400, { values, errors: fieldErrors(parsed.error) });
		if (project.archivedAt) return fail(409, { values, errors: { form: [PROJECT_ARCHIVED] } });
		const started = await startFineTune(
			event.locals.db,
			project,
			Number(event.params.datasetId),
			fineTuneSpecOf(parsed.data),
			user.id
		);
		if (!started.ok) {
			return fail(400, { values, errors: { [started.field ?? 'form']: [started.message] } });
		}
		event.locals.fineTunes.wake();
		redirect(303, `/projects/${project.id}/finetunes/${started.fineTuneId}`);
	},
	registerModel: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const form = await event.request.formData();
		const values = {
			baseUrl: formText(form, 'baseUrl'),
			modelName: formText(form, 'modelName'),
			baseModel: formText(form, 'baseModel'),
			evaluate: formText(form, 'evaluate')
		};
		const parsed = servedModelSchema.safeParse({ ...values, apiKey: formText(form, 'apiKey') });
		if (!parsed.success) {
			return fail(400, { served: values, servedErrors: fieldErrors(parsed.error) });
		}
		const { db, secretKey } = event.locals;
		const datasetId = Number(event.params.datasetId);
		// Evaluated, the model becomes the loop's next iteration; else it is registered alone.
		const registered =
			values.evaluate === 'on'
				? await registerServedIteration(db, secretKey, project, datasetId, parsed.data, user.id)
				: await registerServedModel(db, secretKey, project, datasetId, parsed.data, user.id);
		if (!registered.ok) {
			return fail(400, { served: values, servedErrors: { form: [registered.message] } });
		}
		if ('jobId' in registered) {
			event.locals.jobs.wake();
			redirect(303, `/projects/${project.id}/iterations`);
		}
		redirect(303, `/projects/${project.id}/finetunes/${registered.fineTuneId}`);
	}
};
