import { describe, expect, it } from 'vitest';
import { fineTuneFormSchema } from '$lib/schemas/dataset';
import { datasetIdFor, fireworksModelName } from '$lib/server/finetune/fireworks';

const FORM = {
	providerId: '1',
	baseModel: 'qwen3-8b',
	suffix: '',
	epochs: '',
	batchSize: '',
	learningRateMultiplier: '',
	learningRate: '',
	loraRank: '',
	maxContextLength: '',
	beta: ''
};

describe('the fine-tune form', () => {
	it('takes each service’s own settings', () => {
		const parsed = fineTuneFormSchema.safeParse({
			...FORM,
			adapter: 'fireworks',
			learningRate: '0.0001',
			loraRank: '16',
			maxContextLength: '8192'
		});
		expect(parsed.success && parsed.data).toMatchObject({
			adapter: 'fireworks',
			learningRate: 0.0001,
			loraRank: 16,
			maxContextLength: 8192,
			learningRateMultiplier: null
		});
	});

	it('refuses a setting the chosen service does not take, beside that field', () => {
		const parsed = fineTuneFormSchema.safeParse({
			...FORM,
			adapter: 'openai',
			loraRank: '8',
			learningRate: '0.001'
		});
		expect(parsed.success).toBe(false);
		const issues = parsed.error!.issues.map((i) => [i.path.join('.'), i.message]);
		expect(issues).toEqual([
			['learningRate', 'OpenAI fine-tuning takes no learning rate: leave it empty.'],
			['loraRank', 'OpenAI fine-tuning takes no LoRA rank: leave it empty.']
		]);
		const fireworks = fineTuneFormSchema.safeParse({
			...FORM,
			adapter: 'fireworks',
			learningRateMultiplier: '2'
		});
		expect(fireworks.error!.issues[0]).toMatchObject({
			path: ['learningRateMultiplier'],
			message: 'Fireworks fine-tuning takes no learning rate multiplier: leave it empty.'
		});
	});

	it('takes a checkpoint to continue from on Together only, as a job id or model name', () => {
		const together = fineTuneFormSchema.safeParse({
			...FORM,
			adapter: 'together',
			method: 'dpo',
			fromCheckpoint: ' ft-7a2b:120 '
		});
		expect(together.success && together.data.fromCheckpoint).toBe('ft-7a2b:120');
		const openai = fineTuneFormSchema.safeParse({
			...FORM,
			adapter: 'openai',
			fromCheckpoint: 'ft-7a2b'
		});
		expect(openai.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
			['fromCheckpoint', 'OpenAI fine-tuning takes no checkpoint to continue from: leave it empty.']
		]);
		const spaced = fineTuneFormSchema.safeParse({
			...FORM,
			adapter: 'together',
			fromCheckpoint: 'my job; drop'
		});
		expect(spaced.error!.issues[0].path).toEqual(['fromCheckpoint']);
	});

	it('takes a DPO beta for preference training only', () => {
		const dpo = fineTuneFormSchema.safeParse({
			...FORM,
			adapter: 'together',
			method: 'dpo',
			beta: '0.1'
		});
		expect(dpo.success && dpo.data).toMatchObject({ method: 'dpo', beta: 0.1 });
		const supervised = fineTuneFormSchema.safeParse({ ...FORM, adapter: 'openai', beta: '0.1' });
		expect(supervised.error!.issues[0]).toMatchObject({
			path: ['beta'],
			message: 'The beta is for preference (DPO) training only: leave it empty.'
		});
	});

	it('wants a LoRA rank that is a power of two', () => {
		const parsed = fineTuneFormSchema.safeParse({ ...FORM, adapter: 'together', loraRank: '12' });
		expect(parsed.error!.issues[0]).toMatchObject({
			path: ['loraRank'],
			message: 'Give the LoRA rank as a power of two: 4, 8, 16, 32 or 64.'
		});
	});
});

describe('Fireworks names', () => {
	it('makes dataset ids Fireworks accepts: lowercase, a letter first, at most 63 characters', () => {
		expect(datasetIdFor('dataset-12-train.jsonl', 'a1b2c3d4')).toBe(
			'winnow-dataset-12-train-a1b2c3d4'
		);
		expect(datasetIdFor('Ünïcode & Spaces__val.jsonl', 'a1b2c3d4')).toBe(
			'winnow-n-code-spaces-val-a1b2c3d4'
		);
		const long = datasetIdFor(`${'x'.repeat(100)}-.jsonl`, 'a1b2c3d4');
		expect(long).toHaveLength(63);
		for (const id of [long, datasetIdFor('--.jsonl'), datasetIdFor('9 lives.jsonl')]) {
			expect(id).toMatch(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/);
		}
	});

	it('names a bare base model as one of Fireworks’ own', () => {
		expect(fireworksModelName('qwen3-8b')).toBe('accounts/fireworks/models/qwen3-8b');
		expect(fireworksModelName('accounts/acme/models/mine')).toBe('accounts/acme/models/mine');
	});
});
