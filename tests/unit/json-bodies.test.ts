import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
	datasetFilterJsonSchema,
	datasetFilterSchema,
	fineTuneFormSchema,
	fineTuneJsonSchema
} from '$lib/schemas/dataset';
import { judgeCreateSchema } from '$lib/api/operations/judges';
import { projectChangeSchema } from '$lib/api/operations/projects';
import { evaluationSettingsJsonSchema } from '$lib/schemas/iteration';
import { jobSettingsJsonSchema } from '$lib/schemas/job';
import { invalidInParts } from '$lib/server/apiResponses';
import { DEFAULT_RUBRIC } from '$lib/server/judges/rubric';

describe('settings and filters given as JSON', () => {
	it('take the form’s defaults for what is left out and read values as its fields would', () => {
		expect(jobSettingsJsonSchema.parse(undefined)).toEqual({
			temperature: 0.7,
			maxTokens: null,
			samplesPerInput: 1,
			fewShot: 0,
			reasoning: false,
			invalidOutputs: 'repair',
			concurrency: 8,
			timeoutSeconds: 120
		});
		expect(
			jobSettingsJsonSchema.parse({ temperature: '0.2', maxTokens: 500, reasoning: true })
		).toMatchObject({ temperature: 0.2, maxTokens: 500, reasoning: true });
		// An evaluation starts from its own defaults and ignores what it fixes itself.
		expect(evaluationSettingsJsonSchema.parse({ samplesPerInput: 4 })).toEqual({
			temperature: 0,
			maxTokens: null,
			fewShot: 0,
			invalidOutputs: 'repair',
			concurrency: 8,
			timeoutSeconds: 120
		});
	});

	it('answer with the form’s messages, and with the kind of value a field takes', () => {
		const tooHot = jobSettingsJsonSchema.safeParse({ temperature: 5 });
		expect(tooHot.error?.issues.map((i) => i.message)).toEqual([
			'The temperature is between 0 and 2.'
		]);
		const notANumber = jobSettingsJsonSchema.safeParse({ concurrency: true });
		expect(notANumber.error?.issues.map((i) => [i.path, i.message])).toEqual([
			[['concurrency'], 'Give a number, or its text.']
		]);
	});

	it('read a filter as the export page reads its query', () => {
		const given = {
			threshold: 3,
			tags: ['shipping', 'refunds'],
			sources: ['import'],
			from: '2025-01-01',
			to: null,
			minReviews: '2',
			repairedOnly: true,
			labelCap: null
		};
		expect(datasetFilterJsonSchema.parse(given)).toEqual(
			datasetFilterSchema.parse({
				threshold: '3',
				tags: 'shipping,refunds',
				sources: ['import'],
				from: '2025-01-01',
				to: '',
				minReviews: '2',
				repairedOnly: 'on',
				includeInvalid: '',
				labelCap: ''
			})
		);
		expect(datasetFilterJsonSchema.parse({ tags: 'a, b' }).tags).toEqual(['a', 'b']);
		const backwards = datasetFilterJsonSchema.safeParse({ from: '2025-03-02', to: '2025-03-01' });
		expect(backwards.error?.issues.map((i) => [i.path, i.message])).toEqual([
			[['to'], 'The first day comes before the last.']
		]);
	});
	it('read a fine-tune as its form reads it, every field’s problem together', () => {
		const given = {
			adapter: 'together',
			providerId: 3,
			baseModel: 'qwen3-8b',
			loraRank: '16',
			flavor: null,
			fromCheckpoint: 'ft-abc:10'
		};
		expect(fineTuneJsonSchema.parse(given)).toEqual(
			fineTuneFormSchema.parse({
				adapter: 'together',
				providerId: '3',
				baseModel: 'qwen3-8b',
				suffix: '',
				epochs: '',
				batchSize: '',
				learningRateMultiplier: '',
				learningRate: '',
				loraRank: '16',
				maxContextLength: '',
				beta: '',
				flavor: '',
				timeoutHours: '',
				fromCheckpoint: 'ft-abc:10'
			})
		);
		const issuesOf = (body: unknown) =>
			fineTuneJsonSchema.safeParse(body).error?.issues.map((i) => [i.path.join('.'), i.message]);
		// A choice not on the list is the form's to refuse, beside the fields it also misses.
		expect(issuesOf({ adapter: 'mystery' })).toEqual([
			['adapter', 'Choose how to fine-tune.'],
			['providerId', 'Choose a provider.'],
			['baseModel', 'Give the base model, such as qwen3-8b.']
		]);
		expect(issuesOf(undefined)?.map(([field]) => field)).toEqual([
			'adapter',
			'providerId',
			'baseModel'
		]);
		expect(issuesOf({ ...given, adapter: 'openai', learningRate: 0.001 })).toEqual([
			['learningRate', 'OpenAI fine-tuning takes no learning rate: leave it empty.'],
			['loraRank', 'OpenAI fine-tuning takes no LoRA rank: leave it empty.'],
			['fromCheckpoint', 'OpenAI fine-tuning takes no checkpoint to continue from: leave it empty.']
		]);
		// A value of the wrong kind is refused before the form reads anything.
		expect(issuesOf({ ...given, baseModel: 8, epochs: true, adapter: 1 })).toEqual([
			['adapter', 'Give one of: openai, together, fireworks, hf_jobs.'],
			['baseModel', 'Give it as text.'],
			['epochs', 'Give a number, or its text.']
		]);
		expect(issuesOf('openai')).toEqual([['', 'Give settings as an object of names and values.']]);
	});

	it('read a judge with the default rubric when none is given', () => {
		expect(
			judgeCreateSchema.parse({
				name: 'Strict',
				modelId: 4,
				withReference: true,
				temperature: null
			})
		).toEqual({
			name: 'Strict',
			modelId: 4,
			rubric: DEFAULT_RUBRIC,
			withReference: true,
			temperature: null
		});
		// A blank rubric is refused as the form refuses it, not replaced by the default.
		const blank = judgeCreateSchema.safeParse({ name: 'x', modelId: '4', rubric: null });
		expect(blank.error?.issues[0]).toMatchObject({
			path: ['rubric'],
			message: 'Write the rubric, or keep the one offered.'
		});
	});
});

describe('a body’s parts answered on their own', () => {
	const body = z.object({ name: z.string('Name it.'), settings: jobSettingsJsonSchema });
	const answer = async (given: unknown) => {
		const parsed = body.safeParse(given);
		if (parsed.success) throw new Error('expected a refusal');
		const response = invalidInParts(parsed.error, 'The job has a problem.', [
			['settings', 'The settings have a problem.']
		]);
		return { status: response.status, body: await response.json() };
	};

	it('answers the rest’s problems first, the part’s own included when it is not an object', async () => {
		expect(await answer({ settings: { temperature: 5 } })).toEqual({
			status: 400,
			body: { message: 'The job has a problem.', issues: { name: ['Name it.'] } }
		});
		expect(await answer({ name: 'x', settings: 'hot' })).toEqual({
			status: 400,
			body: {
				message: 'The job has a problem.',
				issues: { settings: ['Give settings as an object of names and values.'] }
			}
		});
	});

	it('answers a part’s problems with its message and its own field names', async () => {
		expect(await answer({ name: 'x', settings: { temperature: 5 } })).toEqual({
			status: 400,
			body: {
				message: 'The settings have a problem.',
				issues: { temperature: ['The temperature is between 0 and 2.'] }
			}
		});
	});

	it('leave out of a project change what was not given, defaults and all', () => {
		expect(projectChangeSchema.parse({ queue: { leaseMinutes: 20 } })).toEqual({
			queue: { leaseMinutes: 20 }
		});
		expect(projectChangeSchema.parse({ labels: 'yes\nno', multipleLabels: true })).toEqual({
			labels: 'yes\nno',
			multipleLabels: true
		});
	});
});
