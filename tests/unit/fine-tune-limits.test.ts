import { describe, expect, it } from 'vitest';
import {
	contextNote,
	fileRefusals,
	knownContexts,
	serviceRows,
	SERVICE_LIMITS
} from '$lib/server/finetune/limits';

const files = (train: number, val = 0) => ({ train: { lines: train }, val: { lines: val } });

describe('each fine-tuning service’s limits', () => {
	it('refuse too few examples with the figure and its source, and take the minimum', () => {
		expect(fileRefusals('openai', 'supervised', files(9))).toEqual([
			'The train split has 9 examples; OpenAI trains on at least 10 (OpenAI fine-tuning guide: a training file needs at least 10 examples). Freeze a dataset with more, or choose another service.'
		]);
		expect(fileRefusals('openai', 'supervised', files(10))).toEqual([]);
		expect(fileRefusals('fireworks', 'supervised', files(2))).toHaveLength(1);
		expect(fileRefusals('fireworks', 'supervised', files(3))).toEqual([]);
		expect(fileRefusals('together', 'supervised', files(1))).toEqual([]);
	});

	it('hold a preference validation file to the minimum, but not a supervised one', () => {
		expect(fileRefusals('openai', 'dpo', files(10, 4))).toEqual([
			'The val split has 4 preference pairs; OpenAI takes a validation file of at least 10. Repair more, or freeze the dataset without a val split.'
		]);
		expect(fileRefusals('openai', 'supervised', files(10, 4))).toEqual([]);
		expect(fileRefusals('hf_jobs', 'dpo', files(100))).toEqual([
			'Hugging Face Jobs runs supervised training only here: choose another service for preference training.'
		]);
	});

	it('refuse a file over the size or example count a service takes, once it is measured', () => {
		const mb = 1024 * 1024;
		const over = { train: { lines: 50, bytes: 10 * mb + 1 }, val: { lines: 0, bytes: 0 } };
		expect(fileRefusals('hf_jobs', 'supervised', over)).toEqual([
			'The train file is 10.0 MB; Hugging Face Jobs takes files of at most 10.0 MB (Winnow commits files to the Hub inline, up to 10 MB (larger ones need Git LFS)). Freeze a smaller dataset, or choose another service.'
		]);
		expect(fileRefusals('openai', 'supervised', over)).toEqual([]);
		expect(fileRefusals('fireworks', 'supervised', files(3_000_001))).toEqual([
			'The train split has 3,000,001 examples; Fireworks takes at most 3,000,000 a file. Freeze a smaller dataset.'
		]);
	});

	it('name the examples a service cuts, at the job’s own context length where it takes one', () => {
		const facts = { lines: 20, overContext: { 1024: 3, 2048: 1, 65_536: 0 } };
		expect(contextNote('hf_jobs', facts)).toBe(
			'3 training examples are longer than 1,024 tokens; Hugging Face Jobs cuts them to that length, and the end of the answer is not learned.'
		);
		expect(contextNote('hf_jobs', facts, 2048)).toBe(
			'1 training example is longer than 2,048 tokens; Hugging Face Jobs cuts it to that length, and the end of the answer is not learned.'
		);
		expect(contextNote('openai', facts, 2048)).toBeNull();
		// The base model's own length is the service's to know: nothing is claimed.
		expect(contextNote('together', facts)).toBeNull();
		expect(knownContexts().sort((a, b) => a - b)).toEqual([1024, 65_536]);
		expect(knownContexts(4096).sort((a, b) => a - b)).toEqual([4096, 65_536]);
	});

	it('lay every service out for the dataset page, with what it would say of this dataset', () => {
		const rows = serviceRows(
			{ train: { examples: 6, pairs: 2 }, val: { examples: 0, pairs: 0 } },
			null
		);
		expect(rows.map((r) => r.service)).toEqual(Object.keys(SERVICE_LIMITS));
		const byService = Object.fromEntries(rows.map((r) => [r.service, r]));
		expect(byService.openai.supervised).toHaveLength(1);
		expect(byService.openai.dpo[0]).toMatch(/^The train split has 2 preference pairs/);
		expect(byService.together.supervised).toEqual([]);
		expect(byService.fireworks.examples).toBe('3 to 3,000,000');
		expect(byService.hf_jobs.file).toBe('10.0 MB');
		expect(byService.hf_jobs.context).toBe('1,024 tokens unless set');
		expect(byService.together.context).toBe('the base model’s');
		expect(rows.every((r) => r.notes.length === 0)).toBe(true);
	});
});
