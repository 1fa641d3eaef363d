// Exports a frozen dataset of 1,000,000 accepted examples as OpenAI chat JSONL, the way the
// download route streams it, and beside it a bare baseline: a plain loop over the same rows
// writing the same lines. Each runs in a process of its own so its peak memory is its own.
//
//   npm run bench:export
//   npm run bench:export -- --examples 200000
//
// The last line is one JSON object: {"examples", "examples_per_s", "peak_rss_mb",
// "baseline_examples_per_s", "ratio"}.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { createDb, createMigratedDb } from '../src/lib/server/db';
import { example, project as projectTable } from '../src/lib/server/db/schema';
import { freezeDataset } from '../src/lib/server/datasets';
import { exportChunks } from '../src/lib/server/datasets/export';
import { insertRows, type ImportRow } from '../src/lib/server/import';
import { createProject } from '../src/lib/server/projects';
import { createUser } from '../src/lib/server/users';
import { datasetFilterSchema } from '../src/lib/schemas/dataset';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';

const { values: args } = parseArgs({
	options: {
		examples: { type: 'string', default: '1000000' },
		phase: { type: 'string', default: 'main' },
		db: { type: 'string' },
		dataset: { type: 'string' },
		out: { type: 'string' }
	}
});
const EXAMPLES = Number(args.examples);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function project(db: ReturnType<typeof createDb>) {
	return (await db.select().from(projectTable).limit(1))[0]!;
}

/** The route's way: the export module's chunks, written as they come. */
async function exportPhase() {
	const db = createDb(args.db!);
	const fd = openSync(args.out!, 'w');
	const started = performance.now();
	let lines = 0;
	for await (const chunk of exportChunks(db, await project(db), Number(args.dataset), {
		format: 'openai',
		split: 'train',
		reasoning: false
	})) {
		writeSync(fd, chunk);
		for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', at + 1)) lines++;
	}
	closeSync(fd);
	report(lines, performance.now() - started);
}

/** The floor: one raw query over the same rows, the same lines, nothing else. */
async function baselinePhase() {
	const db = createDb(args.db!);
	const system = (await project(db)).instruction;
	const rows = db.$client
		.prepare(
			`select e.input, r.output from dataset_item d
			 join example e on e.id = d.example_id join revision r on r.id = d.revision_id
			 where d.dataset_id = ? and d.split = 'train' order by d.example_id`
		)
		.raw()
		.iterate(Number(args.dataset)) as IterableIterator<[string, string]>;
	const fd = openSync(args.out!, 'w');
	const started = performance.now();
	let lines = 0;
	let chunk = '';
	for (const [input, output] of rows) {
		chunk +=
			JSON.stringify({
				messages: [
					{ role: 'system', content: system },
					{ role: 'user', content: input },
					{ role: 'assistant', content: output }
				]
			}) + '\n';
		if (++lines % 5000 === 0) {
			writeSync(fd, chunk);
			chunk = '';
		}
	}
	writeSync(fd, chunk);
	closeSync(fd);
	report(lines, performance.now() - started);
}

function report(lines: number, ms: number) {
	if (process.env.BENCH_MEMORY) console.error(args.phase, process.memoryUsage());
	console.log(JSON.stringify({ lines, ms, peakRssMb: peakRssMb() }));
}

async function main() {
	const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-export-'));
	const databaseFile = join(dir, 'bench.db');
	const db = await createMigratedDb(databaseFile);
	const admin = await createUser(db, {
		username: 'bench-admin',
		displayName: 'Bench admin',
		password: 'correct-horse-battery',
		role: 'admin'
	});
	const created = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: 'Export bench',
			instruction: 'Answer the customer politely and in two sentences at most.',
			splitTrain: '100',
			splitVal: '0',
			splitTest: '0'
		}),
		admin.id
	);
	console.log(`seeding ${EXAMPLES.toLocaleString('en')} accepted examples…`);
	const BATCH = 100_000;
	for (let start = 0; start < EXAMPLES; start += BATCH) {
		const rows: ImportRow[] = [];
		for (let i = start; i < Math.min(start + BATCH, EXAMPLES); i++) {
			rows.push({
				line: i + 1,
				externalId: null,
				input: `Order ${i}: my parcel has not arrived after ${i % 30} days. What can I do?`,
				output: `Sorry about order ${i}. We will send a new parcel today and refund the postage.`,
				tags: []
			});
		}
		await insertRows(db, created, rows, {
			userId: admin.id,
			filename: 'bench.jsonl',
			format: 'jsonl',
			rowsRead: rows.length
		});
	}
	await db.transaction(async (tx) =>
		tx
			.update(example)
			.set({ status: 'accepted', finalRating: 5, finalDecision: 'accept', claimable: false })
			.where(eq(example.projectId, created.id))
	);
	const freezeStarted = performance.now();
	const frozen = await freezeDataset(db, created, 'bench', datasetFilterSchema.parse({}), admin.id);
	if (!frozen.ok) throw new Error(frozen.message);
	const freezeMs = performance.now() - freezeStarted;
	console.log(
		`froze ${frozen.counts.train.toLocaleString('en')} examples in ${(freezeMs / 1000).toFixed(1)} s`
	);
	db.$client.close();

	const run = (phase: string) => {
		const out = join(dir, `${phase}.jsonl`);
		const child = spawnSync(
			process.execPath,
			[
				'--import',
				'tsx',
				'scripts/bench-export.ts',
				'--phase',
				phase,
				'--db',
				databaseFile,
				'--dataset',
				String(frozen.datasetId),
				'--out',
				out
			],
			{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
		);
		const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
			lines: number;
			ms: number;
			peakRssMb: number;
		};
		return { ...result, bytes: statSync(out).size, perS: (result.lines / result.ms) * 1000 };
	};
	const exported = run('export');
	const baseline = run('baseline');
	rmSync(dir, { recursive: true, force: true });
	if (
		exported.lines !== EXAMPLES ||
		baseline.lines !== EXAMPLES ||
		exported.bytes !== baseline.bytes
	) {
		throw new Error(`the files differ: ${JSON.stringify({ exported, baseline })}`);
	}
	console.log(
		`export:   ${Math.round(exported.perS).toLocaleString('en')} examples/s, ${(exported.ms / 1000).toFixed(2)} s, peak RSS ${exported.peakRssMb} MB, ${(exported.bytes / 1e6).toFixed(0)} MB written`
	);
	console.log(
		`baseline: ${Math.round(baseline.perS).toLocaleString('en')} examples/s, ${(baseline.ms / 1000).toFixed(2)} s, peak RSS ${baseline.peakRssMb} MB`
	);
	console.log(
		JSON.stringify({
			examples: EXAMPLES,
			examples_per_s: Math.round(exported.perS),
			peak_rss_mb: exported.peakRssMb,
			baseline_examples_per_s: Math.round(baseline.perS),
			ratio: Number((exported.perS / baseline.perS).toFixed(3))
		})
	);
}

if (args.phase === 'export') await exportPhase();
else if (args.phase === 'baseline') await baselinePhase();
else await main();
