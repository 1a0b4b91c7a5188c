-- 0006: a hook's build. store/postgres/migrations/0006_hook_bundles.sql is
-- the same schema for PostgreSQL; keep the two in step.
--
-- bundle is the script bundled with its npm dependencies when the hook was
-- saved, bundle_hash its "sha256-<hex>" digest; both are '' for a script
-- that names no package, which runs as written.
ALTER TABLE hooks ADD COLUMN bundle TEXT NOT NULL DEFAULT '';
ALTER TABLE hooks ADD COLUMN bundle_hash TEXT NOT NULL DEFAULT '';
