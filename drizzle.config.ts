import { defineConfig } from 'drizzle-kit';

export default defineConfig({
	schema: './src/lib/server/db/schema.ts',
	// DRIZZLE_OUT lets the drift check generate into a scratch copy.
	out: process.env.DRIZZLE_OUT ?? './drizzle',
	dialect: 'sqlite',
	dbCredentials: { url: process.env.DATABASE_URL ?? 'data/winnow.db' },
	strict: true,
	verbose: true
});
