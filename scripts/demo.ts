// Fills a demo project with support emails and draft JSON extractions, so a new install shows a
// full review queue. Every example has a stable id, so running it again adds nothing.
//
//   npm run demo                  300 examples into DATABASE_URL (default data/winnow.db)
//   npm run demo -- --count 50
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../src/lib/server/config';
import { createDb, migrateDb } from '../src/lib/server/db';
import { project } from '../src/lib/server/db/schema';
import { importExamples } from '../src/lib/server/import';
import { addMember, createProject, projectSchemaErrors } from '../src/lib/server/projects';
import { listUsers } from '../src/lib/server/users';
import { projectSchema } from '../src/lib/schemas/project';
import {
	EXTRACTION_INSTRUCTION,
	EXTRACTION_SCHEMA,
	generateDemoExamples,
	type DemoExample
} from './demo-data';

const DEMO_PROJECT_NAME = 'Support email triage (demo)';
const SEED = 20250301;

const { values } = parseArgs({ options: { count: { type: 'string', default: '300' } } });
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1 || count > 10_000) {
	console.error('--count must be a whole number from 1 to 10000.');
	process.exit(1);
}

const db = createDb(loadConfig(process.env).databaseUrl);
await migrateDb(db);

const users = (await listUsers(db))
	.filter((u) => u.active)
	.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
const owner = users.find((u) => u.role === 'admin') ?? users[0];
if (!owner) {
	console.error(
		'Create the admin account first: open the app and go through /setup, then run npm run demo again.'
	);
	process.exit(1);
}

let demo = (await db.select().from(project).where(eq(project.name, DEMO_PROJECT_NAME)).limit(1))[0];
if (!demo) {
	const input = projectSchema.parse({
		name: DEMO_PROJECT_NAME,
		instruction: EXTRACTION_INSTRUCTION,
		inputKind: 'text',
		inputSchema: '',
		outputKind: 'json',
		outputSchema: JSON.stringify(EXTRACTION_SCHEMA, null, 2),
		ratingScale: 'five_star',
		threshold: 4,
		reviewsRequired: 2,
		aggregation: 'mean',
		splitTrain: 80,
		splitVal: 10,
		splitTest: 10,
		requirements: [
			{
				name: 'Correct intent',
				description: 'The intent is what the customer wants resolved, by the definitions above.'
			},
			{
				name: 'Order id exact',
				description:
					'order_id is the LH- number from the email, digit for digit, or null when there is none. Never a tracking or invoice number, never invented.'
			},
			{
				name: 'Faithful summary',
				description:
					'The summary states what the email says and nothing else: no invented promises, items, numbers or requests.'
			},
			{
				name: 'Sentiment and urgency',
				description:
					'Sentiment follows the tone of the email; urgency is high for anger, a deadline or a repeated contact.'
			}
		]
	});
	const problems = projectSchemaErrors(input);
	if (Object.keys(problems).length > 0) {
		console.error('The demo project definition is invalid:', problems);
		process.exit(1);
	}
	demo = await createProject(db, input, owner.id);
}
for (const u of users) await addMember(db, demo.id, u.id);

const examples = generateDemoExamples(count, SEED);

async function* jsonl(rows: DemoExample[]) {
	for (const { id, input, output, tags } of rows) {
		yield `${JSON.stringify({ id, input, output, tags })}\n`;
	}
}

const result = await importExamples(db, demo, {
	source: jsonl(examples),
	format: 'jsonl',
	filename: 'demo-support-emails.jsonl',
	userId: owner.id
});
if (!result.ok) {
	console.error('The demo examples were refused:');
	for (const e of result.errors) console.error(`  line ${e.line}: ${e.message}`);
	process.exit(1);
}

const flawed = examples.filter((e) => e.flaw !== null).length;
const port = process.env.PORT ?? '3000';
console.log(
	`Demo project "${demo.name}" (id ${demo.id}): imported ${result.imported} examples, ${result.skipped} already there. ` +
		`${flawed} of the ${count} drafts carry a planted mistake for reviewers to find. ` +
		`Open http://localhost:${port}/projects/${demo.id}/examples`
);
db.$client.close();
