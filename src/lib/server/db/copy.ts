import { getTableName, is, sql, type SQL } from 'drizzle-orm';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { connectionOf, type Db } from './index';
import * as schema from './schema';

// Moves a team from SQLite to PostgreSQL: every row of every table, copied as stored (no value
// is parsed and written again, so JSON text keeps its bytes), in one transaction on an empty,
// migrated PostgreSQL database. Tables go in dependency order; where two tables point at each
// other (an example at its current revision, a revision at its example) or a table at itself,
// the pointing column is written empty first and filled in once every row is there. Identity
// sequences then continue after the largest id, and every table's count is checked against
// the source before the transaction commits.

type Column = { name: string; notNull: boolean };
type TablePlan = {
	name: string;
	columns: Column[];
	/** Columns written empty first and filled in after every table is copied. */
	deferred: string[];
	/** Whether the table has a generated `id` whose sequence must continue after the copy. */
	identity: boolean;
};

export type CopyReport = { tables: { name: string; rows: number }[] };

/** Rows per INSERT, under PostgreSQL's 65,535 values per statement. */
function batchSize(columns: number) {
	return Math.max(1, Math.min(1000, Math.floor(60_000 / columns)));
}

/** Tables whose first rows come with a migration (the known model retirements). */
const SEEDED_BY_MIGRATIONS = new Set(['model_retirement']);

/** The tables in an order where each comes after the tables it points at. */
export function copyPlan(): TablePlan[] {
	const tables = Object.values(schema).filter((t) => is(t, SQLiteTable)) as SQLiteTable[];
	const info = tables.map((table) => {
		const config = getTableConfig(table);
		const pointsAt = config.foreignKeys.map((key) => {
			const reference = key.reference();
			return {
				column: reference.columns[0].name,
				table: getTableName(reference.foreignTable),
				nullable: !reference.columns[0].notNull
			};
		});
		const id = config.columns.find((c) => c.name === 'id');
		return {
			name: config.name,
			columns: config.columns.map((c) => ({ name: c.name, notNull: c.notNull })),
			pointsAt,
			identity: Boolean(id && (id as unknown as { autoIncrement?: boolean }).autoIncrement)
		};
	});
	const plan: TablePlan[] = [];
	const placed = new Set<string>();
	let left = [...info].sort((a, b) => a.name.localeCompare(b.name));
	while (left.length > 0) {
		const waitingOn = (t: (typeof info)[number]) =>
			t.pointsAt.filter((p) => p.table === t.name || !placed.has(p.table));
		// A table whose every reference is placed; else one whose unplaced references can wait.
		const ready =
			left.find((t) => waitingOn(t).every((p) => p.table === t.name && p.nullable)) ??
			left.find((t) => waitingOn(t).every((p) => p.nullable));
		if (!ready) throw new Error('The tables point at one another through required columns.');
		plan.push({
			name: ready.name,
			columns: ready.columns,
			deferred: waitingOn(ready).map((p) => p.column),
			identity: ready.identity
		});
		placed.add(ready.name);
		left = left.filter((t) => t !== ready);
	}
	return plan;
}

/**
 * Copies every row of `from` (SQLite) into `to` (PostgreSQL, migrated and empty) in one
 * transaction. Refuses a target that holds any row; `progress` hears each table as it is done.
 */
export async function copyDatabase(
	from: Db,
	to: Db,
	progress: (table: string, rows: number) => void = () => {}
): Promise<CopyReport> {
	if (from.dialect.name !== 'sqlite' || to.dialect.name !== 'postgres') {
		throw new Error('db:copy copies a SQLite database into a PostgreSQL one.');
	}
	const plan = copyPlan();
	const execute = executorOf(to);
	return await to.transaction(async () => {
		for (const table of plan) {
			// Rows a migration put there give way to the source's own, edited or not.
			if (SEEDED_BY_MIGRATIONS.has(table.name)) {
				await execute(sql`delete from ${sql.identifier(table.name)}`);
				continue;
			}
			const found = await execute(sql`select 1 as one from ${sql.identifier(table.name)} limit 1`);
			if (found.length > 0) {
				throw new Error(
					`The PostgreSQL database already holds rows (in ${table.name}); db:copy fills an empty one.`
				);
			}
		}
		const report: CopyReport = { tables: [] };
		const later: { table: TablePlan; rows: Record<string, unknown>[] }[] = [];
		for (const table of plan) {
			const names = table.columns.map((c) => c.name);
			const rows = from.$client
				.prepare(`select * from "${table.name}" order by rowid`)
				.iterate() as IterableIterator<Record<string, unknown>>;
			let copied = 0;
			let batch: unknown[][] = [];
			const keep: Record<string, unknown>[] = [];
			const flush = async () => {
				if (batch.length === 0) return;
				const values = sql.join(
					batch.map(
						(row) =>
							sql`(${sql.join(
								row.map((v) => sql`${v}`),
								sql`, `
							)})`
					),
					sql`, `
				);
				const columns = sql.join(
					names.map((n) => sql.identifier(n)),
					sql`, `
				);
				await execute(
					sql`insert into ${sql.identifier(table.name)} (${columns}) overriding system value values ${values}`
				);
				batch = [];
			};
			for (const row of rows) {
				if (table.deferred.some((c) => row[c] !== null)) {
					keep.push({ id: row.id, ...Object.fromEntries(table.deferred.map((c) => [c, row[c]])) });
				}
				batch.push(names.map((n) => (table.deferred.includes(n) ? null : row[n])));
				copied++;
				if (batch.length >= batchSize(names.length)) await flush();
			}
			await flush();
			if (keep.length > 0) later.push({ table, rows: keep });
			report.tables.push({ name: table.name, rows: copied });
			progress(table.name, copied);
		}
		for (const { table, rows } of later) {
			for (let i = 0; i < rows.length; i += 1000) {
				const chunk = rows.slice(i, i + 1000);
				const sets = sql.join(
					table.deferred.map((c) => sql`${sql.identifier(c)} = v.${sql.identifier(c)}`),
					sql`, `
				);
				const values = sql.join(
					chunk.map(
						(r) =>
							sql`(${sql.join(
								['id', ...table.deferred].map((c) =>
									typeof r[c] === 'number' ? sql`${r[c]}::bigint` : sql`${r[c]}`
								),
								sql`, `
							)})`
					),
					sql`, `
				);
				const names = sql.join(
					['id', ...table.deferred].map((c) => sql.identifier(c)),
					sql`, `
				);
				await execute(
					sql`update ${sql.identifier(table.name)} t set ${sets} from (values ${values}) as v(${names}) where t.id = v.id`
				);
			}
		}
		for (const table of plan) {
			if (!table.identity) continue;
			await execute(
				sql`select setval(pg_get_serial_sequence(${table.name}, 'id'), coalesce(max(id), 0) + 1, false) from ${sql.identifier(table.name)}`
			);
		}
		for (const { name, rows } of report.tables) {
			const [counted] = await execute(sql`select count(*) as n from ${sql.identifier(name)}`);
			if (Number(counted.n) !== rows) {
				throw new Error(`${name}: ${rows} rows read but ${counted.n} written; nothing was copied.`);
			}
		}
		return report;
	});
}

/** Runs raw SQL on the PostgreSQL database, inside the transaction the caller is in. */
function executorOf(target: Db) {
	const routed = connectionOf(target) as unknown as {
		execute(query: SQL): Promise<{ rows: Record<string, unknown>[] }>;
	};
	return async (query: SQL) => (await routed.execute(query)).rows;
}
