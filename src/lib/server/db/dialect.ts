import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

// What differs between SQLite and PostgreSQL in the SQL the domain code writes, in one place.
// Most SQL is written once in what both understand (`coalesce`, `case when`, `is distinct
// from`, `nulls last`, casts); only what has no common spelling is here, and the domain code
// asks the database or transaction it holds for its dialect: `dialectOf(db).contains(…)`.

export type Dialect = {
	name: 'sqlite' | 'postgres';
	/**
	 * `column` contains `pattern` (a LIKE pattern with `\` as its escape), ignoring the case
	 * of ASCII letters as SQLite's LIKE does; PostgreSQL's LIKE minds case.
	 */
	like(column: SQLWrapper, pattern: string): SQL;
	/** Text ordered by code point, as SQLite orders it, whatever the database's collation. */
	byCodePoint(column: SQLWrapper): SQL;
};

export const dialects: Record<Dialect['name'], Dialect> = {
	sqlite: {
		name: 'sqlite',
		like: (column, pattern) => sql`${column} like ${pattern} escape '\\'`,
		byCodePoint: (column) => sql`${column}`
	},
	postgres: {
		name: 'postgres',
		like: (column, pattern) => sql`${column} ilike ${pattern} escape '\\'`,
		byCodePoint: (column) => sql`${column} collate "C"`
	}
};

/** Marks a connection's query builder with its dialect. */
export const DIALECT = Symbol('dialect');

/** The dialect of a database or a transaction. */
export function dialectOf(on: object): Dialect {
	const found = (on as { [DIALECT]?: Dialect })[DIALECT] ?? (on as { dialect?: Dialect }).dialect;
	if (!found || typeof found.like !== 'function') throw new Error('Not a Winnow database.');
	return found;
}
