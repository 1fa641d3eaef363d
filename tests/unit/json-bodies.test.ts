import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { datasetFilterJsonSchema, datasetFilterSchema } from '$lib/schemas/dataset';
import { evaluationSettingsJsonSchema } from '$lib/schemas/iteration';
import { jobSettingsJsonSchema } from '$lib/schemas/job';
import { invalidInParts } from '$lib/server/apiResponses';

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
});
