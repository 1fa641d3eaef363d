// Imports 100,000 JSONL rows into a fresh database file, the way an upload is imported
// (a stream, one transaction), then times the examples page's queries at that size.
// The last line is one JSON object: {"rows", "rows_per_s", "peak_rss_mb"}.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMigratedDb } from '../src/lib/server/db';
import { createProject } from '../src/lib/server/projects';
import { createUser } from '../src/lib/server/users';
import { importExamples } from '../src/lib/server/import';
import { listExamples } from '../src/lib/server/examples';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';

const rows = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-'));
const file = join(dir, 'rows.jsonl');

const topics = ['refund', 'shipping', 'login', 'invoice', 'damaged item', 'cancellation'];
async function writeFile() {
	const out = createWriteStream(file);
	for (let i = 0; i < rows; i++) {
		const topic = topics[i % topics.length];
		const line = JSON.stringify({
			id: `bench-${i}`,
			input: `Subject: ${topic} question #${i}\n\nHello, I ordered item ${i * 7} on the ${(i % 28) + 1}th and I have a problem with the ${topic}. Could you tell me what happens next and how long it takes? Thanks, customer ${i}`,
			output: `{"intent": "${topic}", "order_id": "${i * 7}", "summary": "Customer ${i} asks about the ${topic} of order ${i * 7}."}`,
			tags: [topic, i % 10 === 0 ? 'priority' : 'normal']
		});
		if (!out.write(line + '\n')) await once(out, 'drain');
	}
	out.end();
	await once(out, 'finish');
}

function timeMs(run: () => unknown): number {
	const start = performance.now();
	run();
	return Math.round((performance.now() - start) * 100) / 100;
}

await writeFile();
const db = createMigratedDb(join(dir, 'bench.db'));
const admin = await createUser(db, {
	username: 'bench',
	displayName: 'Bench',
	password: 'correct-horse-battery',
	role: 'admin'
});
const project = createProject(
	db,
	projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: 'Bench' }),
	admin.id
);

const start = performance.now();
const result = await importExamples(db, project, {
	source: createReadStream(file),
	format: 'jsonl',
	filename: 'rows.jsonl',
	userId: admin.id
});
const seconds = (performance.now() - start) / 1000;
if (!result.ok) {
	console.error('import failed', result.errors.slice(0, 5));
	process.exit(1);
}

const firstPage = listExamples(db, project.id, {});
const pages = {
	first_page_ms: timeMs(() => listExamples(db, project.id, {})),
	deep_page_ms: timeMs(() => listExamples(db, project.id, { before: 50_000 })),
	status_filter_ms: timeMs(() =>
		listExamples(db, project.id, { status: 'queued', before: 20_000 })
	),
	tag_filter_ms: timeMs(() => listExamples(db, project.id, { tag: 'priority' })),
	rare_text_ms: timeMs(() => listExamples(db, project.id, { q: 'customer 99999' })),
	page_size: firstPage.items.length
};
console.log(`imported ${result.imported} rows in ${seconds.toFixed(2)} s`);
console.log(`examples page at ${rows} rows: ${JSON.stringify(pages)}`);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
db.$client.close();
rmSync(dir, { recursive: true, force: true });
console.log(
	JSON.stringify({
		rows: result.imported,
		rows_per_s: Math.round(result.imported / seconds),
		peak_rss_mb: peakRssMb
	})
);
