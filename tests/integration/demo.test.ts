import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { createMigratedDb } from '../../src/lib/server/db';
import { example, project, projectMember, revision } from '../../src/lib/server/db/schema';
import { createUser } from '../../src/lib/server/users';

const dir = mkdtempSync(join(tmpdir(), 'winnow-demo-'));
const databaseUrl = join(dir, 'winnow.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runDemo(...args: string[]): string {
	return execFileSync('npx', ['tsx', 'scripts/demo.ts', ...args], {
		env: { ...process.env, DATABASE_URL: databaseUrl },
		encoding: 'utf8'
	});
}

test('the demo command asks for the admin first, then fills a demo project once', async () => {
	await (await createMigratedDb(databaseUrl)).close();
	expect(() => runDemo('--count', '40')).toThrow(/Create the admin account first/);

	const db = await createMigratedDb(databaseUrl);
	const admin = await createUser(db, {
		username: 'admin',
		displayName: 'Admin',
		password: 'correct-horse-battery',
		role: 'admin'
	});
	const annotator = await createUser(db, {
		username: 'ann',
		displayName: 'Ann',
		password: 'correct-horse-battery',
		role: 'annotator'
	});

	expect(runDemo('--count', '40')).toMatch(/imported 40 examples, 0 already there/);
	const demo = (await db.select().from(project).limit(1))[0]!;
	expect(demo.outputKind).toBe('json');
	const members = (
		await db
			.select({ userId: projectMember.userId })
			.from(projectMember)
			.where(eq(projectMember.projectId, demo.id))
	)
		.map((m) => m.userId)
		.sort();
	expect(members).toEqual([admin.id, annotator.id].sort());
	const outputs = await db
		.select({ output: revision.output, schemaValid: revision.schemaValid })
		.from(revision);
	expect(outputs).toHaveLength(40);
	expect(outputs.every((o) => o.schemaValid === true && JSON.parse(o.output!).intent)).toBe(true);

	expect(runDemo('--count', '40')).toMatch(/imported 0 examples, 40 already there/);
	expect((await db.select({ n: count() }).from(example).limit(1))[0]!.n).toBe(40);
	await db.close();
});
