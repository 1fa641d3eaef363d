import { fail, redirect } from '@sveltejs/kit';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { exampleFilterSchema } from '$lib/schemas/examples';
import { fieldErrors, formText, type FieldErrors } from '$lib/schemas/forms';
import { JOB_SETTING_DEFAULTS, jobSettingsSchema } from '$lib/schemas/job';
import { requireProjectAdmin } from '$lib/server/guards';
import { PROJECT_ARCHIVED } from '$lib/server/projects';
import { formatFromFilename, type LineError } from '$lib/server/import';
import { createJob, inputsOfExamples, parseJobInputs } from '$lib/server/jobs';
import { documentPassages } from '$lib/server/jobs/documents';
import { DEFAULT_PAIR_PROMPT } from '$lib/server/jobs/prompt';
import { modelChoices } from '$lib/server/providers';
import { listJudges } from '$lib/server/judges';
import { runnableJudge } from '$lib/server/judges/run';
import type { Actions, PageServerLoad } from './$types';

/** At most this many bad lines are sent back to the page; the total is always given. */
const ERRORS_SHOWN = 1000;

const sourceSchema = z.object({
	modelIds: z
		.array(z.coerce.number().int().positive())
		.min(1, 'Choose at least one teacher model.'),
	inputSource: z.enum(['file', 'examples', 'documents'], 'Choose where the inputs come from.')
});

const pairsSchema = z.object({
	pairPrompt: z
		.string()
		.trim()
		.min(1, 'Say how the teacher should propose pairs.')
		.max(5000, 'Keep the prompt under 5,000 characters.'),
	pairsPerPassage: z.coerce
		.number('Give the pairs per passage as a number.')
		.int('Give a whole number of pairs.')
		.min(1, 'At least one pair per passage.')
		.max(10, 'At most 10 pairs per passage.')
});

/** Every uploaded document split into passages, or what is wrong with the files. */
async function passagesOf(
	files: FormDataEntryValue[]
): Promise<{ ok: false; error: string } | { ok: true; passages: string[]; names: string[] }> {
	const documents = files.filter((f): f is File => f instanceof File && f.name !== '');
	const read = await documentPassages(
		await Promise.all(
			documents.map(async (file) => ({
				name: file.name,
				bytes: new Uint8Array(await file.arrayBuffer())
			}))
		)
	);
	return read.ok ? { ...read, names: documents.map((d) => d.name) } : read;
}

export const load: PageServerLoad = async (event) => {
	const { project } = await requireProjectAdmin(event, Number(event.params.id));
	return {
		models: await modelChoices(event.locals.db),
		// Judges that can run: those whose model is still there.
		judges: (await listJudges(event.locals.db, project.id))
			.filter((j) => j.modelId !== null)
			.map((j) => ({ id: j.id, name: j.name })),
		defaults: JOB_SETTING_DEFAULTS,
		outputKind: project.outputKind,
		pairPrompt: DEFAULT_PAIR_PROMPT
	};
};

const SETTING_FIELDS = Object.keys(JOB_SETTING_DEFAULTS) as (keyof typeof JOB_SETTING_DEFAULTS)[];

export const actions: Actions = {
	default: async (event) => {
		const { project, user } = await requireProjectAdmin(event, Number(event.params.id));
		const db = event.locals.db;
		const form = await event.request.formData();
		const values = Object.fromEntries(SETTING_FIELDS.map((f) => [f, formText(form, f)]));
		const chosen = form.getAll('modelId').map(String);
		const inputSource = formText(form, 'inputSource');
		const filterValues = {
			split: formText(form, 'split'),
			status: formText(form, 'status'),
			tag: formText(form, 'tag')
		};
		const pairValues = {
			pairPrompt: formText(form, 'pairPrompt'),
			pairsPerPassage: formText(form, 'pairsPerPassage')
		};
		const judgeId = formText(form, 'judgeId');
		const state = {
			values: { ...values, inputSource, ...filterValues, ...pairValues, judgeId },
			chosen
		};
		const settings = jobSettingsSchema.safeParse(values);
		const source = sourceSchema.safeParse({ modelIds: chosen, inputSource });
		const known = new Set((await modelChoices(db)).map((m) => m.id));
		const errors: FieldErrors = {
			...(settings.success ? {} : fieldErrors(settings.error)),
			...(source.success ? {} : fieldErrors(source.error))
		};
		if (source.success && source.data.modelIds.some((m) => !known.has(m))) {
			errors.modelIds = ['A chosen model no longer exists; reload the page.'];
		}
		if (judgeId) {
			const runnable = /^\d{1,15}$/.test(judgeId)
				? await runnableJudge(db, project.id, Number(judgeId))
				: { ok: false as const, message: 'Choose a judge from the list.' };
			if (!runnable.ok) errors.judgeId = [runnable.message];
		}
		if (!settings.success || !source.success || Object.keys(errors).length > 0) {
			return fail(400, { ...state, errors, lineErrors: [] as LineError[], errorCount: 0 });
		}

		let inputs: string[];
		let description: string;
		let pairs: { pairPrompt: string; pairsPerPassage: number } | undefined;
		if (source.data.inputSource === 'documents') {
			const parsedPairs = pairsSchema.safeParse(pairValues);
			const read = await passagesOf(form.getAll('documents'));
			const errors: FieldErrors = parsedPairs.success ? {} : fieldErrors(parsedPairs.error);
			if (!read.ok) errors.documents = [read.error];
			if (!parsedPairs.success || !read.ok) {
				return fail(400, { ...state, errors, lineErrors: [] as LineError[], errorCount: 0 });
			}
			inputs = read.passages;
			description = `passages of ${read.names.join(', ')}`;
			pairs = parsedPairs.data;
		} else if (source.data.inputSource === 'file') {
			const file = form.get('file');
			if (!(file instanceof File) || file.size === 0) {
				const errors = { file: ['Choose a file of inputs (JSONL or CSV, with an “input” field).'] };
				return fail(400, { ...state, errors, lineErrors: [] as LineError[], errorCount: 0 });
			}
			const format = formatFromFilename(file.name);
			if (!format) {
				const errors = { file: ['Name the file .jsonl or .csv so Winnow can read it.'] };
				return fail(400, { ...state, errors, lineErrors: [] as LineError[], errorCount: 0 });
			}
			const parsed = await parseJobInputs(
				project,
				Readable.fromWeb(file.stream() as import('node:stream/web').ReadableStream),
				format
			);
			if (!parsed.ok) {
				return fail(400, {
					...state,
					errors: {
						file: [`${file.name} has ${parsed.errors.length} bad line(s); nothing was started.`]
					},
					lineErrors: parsed.errors.slice(0, ERRORS_SHOWN),
					errorCount: parsed.errors.length
				});
			}
			inputs = parsed.inputs;
			description = file.name;
		} else {
			const filter = exampleFilterSchema.safeParse(filterValues);
			if (!filter.success) {
				return fail(400, {
					...state,
					errors: fieldErrors(filter.error),
					lineErrors: [] as LineError[],
					errorCount: 0
				});
			}
			inputs = await inputsOfExamples(db, project.id, filter.data);
			description = `inputs of examples (${
				Object.entries(filterValues)
					.filter(([, v]) => v)
					.map(([k, v]) => `${k} ${v}`)
					.join(', ') || 'all'
			})`;
			if (inputs.length === 0) {
				const errors = { inputSource: ['No example matches that filter, so there are no inputs.'] };
				return fail(400, { ...state, errors, lineErrors: [] as LineError[], errorCount: 0 });
			}
		}
		if (project.archivedAt) {
			const errors = { form: [PROJECT_ARCHIVED] };
			return fail(409, { ...state, errors, lineErrors: [] as LineError[], errorCount: 0 });
		}
		const jobId = await createJob(db, project, user.id, {
			kind: pairs ? 'documents' : 'distill',
			modelIds: source.data.modelIds,
			settings: settings.data,
			inputs,
			pairs,
			judgeId: judgeId ? Number(judgeId) : null,
			source:
				source.data.inputSource === 'file'
					? { kind: 'file', filename: description }
					: { kind: source.data.inputSource, description }
		});
		event.locals.jobs.wake();
		redirect(303, `/projects/${project.id}/jobs/${jobId}`);
	}
};
