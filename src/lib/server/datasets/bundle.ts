import { TRL_SCRIPT_NAME, TRL_SFT_SCRIPT } from '../finetune/trlScript';
import { Zip, ZipDeflate } from 'fflate';
import type { Db } from '../db';
import type { Dataset, Project, Split } from '../db/schema';
import type { ExportFormat } from '../../schemas/dataset';
import {
	emptyFileReason,
	exportChunks,
	exportFiles,
	exportFilename,
	linesIn,
	reasoningNote,
	SPLITS,
	type SplitFiles
} from './export';

// Zips of a dataset, streamed: every split in one format with a manifest, or the bundle for
// training on one's own GPUs (the splits as chat messages, an Axolotl config, a ShareGPT file
// for Unsloth, the manifest and a note on serving and registering the result).

type Entry = { name: string; chunks: () => Iterable<string> | AsyncIterable<string> };

type SplitCounts = Record<Split, number>;

function countsOf(found: Dataset): SplitCounts {
	return { train: found.trainCount, val: found.valCount, test: found.testCount };
}

type ManifestExtras = {
	format?: ExportFormat;
	reasoning: { included: false } | { included: true; note: string; examplesLeftOut: SplitCounts };
	lines?: Record<string, number>;
	notWritten?: { split: Split; reason: string }[];
};

export function manifestOf(found: Dataset, files: string[], extras: ManifestExtras) {
	return JSON.stringify(
		{
			dataset: { id: found.id, name: found.name, frozenAt: found.createdAt.toISOString() },
			filter: JSON.parse(found.filter),
			counts: countsOf(found),
			contentHash: found.contentHash,
			...extras,
			files
		},
		null,
		2
	);
}

/** What the manifest says of reasoning: whether it is in, and which examples were left out. */
function reasoningOf(files: Record<Split, SplitFiles>, reasoning: boolean) {
	if (!reasoning) return { included: false } as const;
	const examplesLeftOut = Object.fromEntries(
		SPLITS.map((s) => [s, files[s].examples - files[s].withReasoning])
	) as SplitCounts;
	return { included: true, note: reasoningNote(files), examplesLeftOut } as const;
}

/**
 * Every split whose file has lines, in one format, with the manifest: the lines in each file,
 * what became of examples without reasoning, and why a split with examples has no file.
 * Refused with the reason when no file would have a line.
 */
export async function splitsZip(
	db: Db,
	target: Project,
	found: Dataset,
	format: ExportFormat,
	reasoning: boolean
): Promise<{ ok: true; entries: Entry[] } | { ok: false; message: string }> {
	const counted = await exportFiles(db, found);
	const linesOf = (split: Split) => linesIn(counted[split], { format, reasoning });
	const written = SPLITS.filter((split) => linesOf(split) > 0);
	const notWritten = SPLITS.filter(
		(split) => linesOf(split) === 0 && counted[split].examples > 0
	).map((split) => ({ split, reason: emptyFileReason(counted, { format, split, reasoning })! }));
	if (written.length === 0) {
		return { ok: false, message: notWritten[0]?.reason ?? 'This dataset has no examples.' };
	}
	const files = written.map((split) => ({
		split,
		name: exportFilename(found.name, { format, split, reasoning }),
		chunks: () => exportChunks(db, target, found.id, { format, split, reasoning })
	}));
	const manifest = manifestOf(
		found,
		files.map((f) => f.name),
		{
			format,
			reasoning: reasoningOf(counted, reasoning),
			lines: Object.fromEntries(files.map((f) => [f.name, linesOf(f.split)])),
			notWritten
		}
	);
	return {
		ok: true,
		entries: [
			...files.map(({ name, chunks }) => ({ name, chunks })),
			{ name: 'manifest.json', chunks: () => [manifest] }
		]
	};
}

export function axolotlConfig(found: Dataset): string {
	const lines = [
		'# Axolotl config for a LoRA fine-tune on this Winnow dataset.',
		'# Set base_model to the model you start from, then: axolotl train axolotl.yaml',
		'base_model: meta-llama/Llama-3.1-8B-Instruct',
		'chat_template: tokenizer_default',
		'datasets:',
		'  - path: train.jsonl',
		'    type: chat_template',
		'    field_messages: messages',
		...(found.valCount > 0
			? [
					'test_datasets:',
					'  - path: val.jsonl',
					'    type: chat_template',
					'    field_messages: messages',
					'    split: train'
				]
			: ['val_set_size: 0']),
		'adapter: lora',
		'lora_r: 16',
		'lora_alpha: 32',
		'lora_dropout: 0.05',
		'lora_target_linear: true',
		'sequence_len: 4096',
		'sample_packing: true',
		'micro_batch_size: 2',
		'gradient_accumulation_steps: 4',
		'num_epochs: 3',
		'learning_rate: 0.0002',
		'optimizer: adamw_torch',
		'lr_scheduler: cosine',
		'bf16: auto',
		`output_dir: ./outputs/winnow-dataset-${found.id}`
	];
	return lines.join('\n') + '\n';
}

const BUNDLE_README = `Winnow dataset bundle

train.jsonl / val.jsonl   chat messages, one example a line (Axolotl's chat_template type)
axolotl.yaml              a LoRA config: set base_model, then \`axolotl train axolotl.yaml\`
train_sft.py              the same with TRL: \`uv run train_sft.py --train train.jsonl
                          --base-model <model> --hub-model-id <you>/<student>\` (what a
                          Hugging Face Job runs when Winnow sends the dataset there)
unsloth.sharegpt.jsonl    the training split as ShareGPT conversations, as Unsloth's
                          standardize_sharegpt and chat templates expect
manifest.json             the dataset, its filter, counts and content hash

The test split is left out on purpose: keep it for evaluating the model you train.

Serve the result with an OpenAI-compatible server (for instance vLLM:
\`vllm serve ./outputs/... --served-model-name my-student\`, or Ollama), then on the dataset's
page in Winnow register it by its URL and name, so it is offered wherever a model is chosen
and remembers this dataset.
`;

/** The own-GPU bundle: training data and configs, never the test split. */
export function bundleEntries(db: Db, target: Project, found: Dataset): Entry[] {
	const split = (s: Split, format: ExportFormat) => () =>
		exportChunks(db, target, found.id, { format, split: s, reasoning: false });
	const entries: Entry[] = [
		{ name: 'train.jsonl', chunks: split('train', 'hf_messages') },
		...(found.valCount > 0 ? [{ name: 'val.jsonl', chunks: split('val', 'hf_messages') }] : []),
		{ name: 'unsloth.sharegpt.jsonl', chunks: split('train', 'sharegpt') },
		{ name: 'axolotl.yaml', chunks: () => [axolotlConfig(found)] },
		{ name: TRL_SCRIPT_NAME, chunks: () => [TRL_SFT_SCRIPT] },
		{ name: 'README.txt', chunks: () => [BUNDLE_README] }
	];
	return [
		...entries,
		{
			name: 'manifest.json',
			chunks: () => [
				manifestOf(
					found,
					entries.map((e) => e.name),
					{ reasoning: { included: false } }
				)
			]
		}
	];
}

/** A zip built as it is read: one page of lines compressed per pull. */
export function zipStream(entries: Entry[]): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	let emit: (chunk: Uint8Array) => void = () => {};
	let finish: () => void = () => {};
	let fail: (e: Error) => void = () => {};
	const zip = new Zip((err, data, final) => {
		if (err) return fail(err);
		if (data.length > 0) emit(data);
		if (final) finish();
	});
	async function* steps(): AsyncGenerator<void> {
		for (const entry of entries) {
			const file = new ZipDeflate(entry.name, { level: 6 });
			zip.add(file);
			for await (const chunk of entry.chunks()) {
				file.push(encoder.encode(chunk));
				yield;
			}
			file.push(new Uint8Array(0), true);
		}
		zip.end();
	}
	const work = steps();
	let produced = false;
	return new ReadableStream<Uint8Array>({
		start(controller) {
			emit = (chunk) => {
				produced = true;
				controller.enqueue(chunk);
			};
			finish = () => controller.close();
			fail = (e) => controller.error(e);
		},
		// Compress until some bytes come out: a pull that gives nothing would stall the stream.
		async pull() {
			produced = false;
			while (!produced && !(await work.next()).done);
		},
		async cancel() {
			await work.return(undefined);
		}
	});
}
