import { defineConfig } from 'drizzle-kit';

// The PostgreSQL migrations, generated from schema.pg.ts (itself rendered from schema.ts).
export default defineConfig({
	schema: './src/lib/server/db/schema.pg.ts',
	out: process.env.DRIZZLE_OUT ?? './drizzle/pg',
	dialect: 'postgresql',
	strict: true,
	verbose: true
});
