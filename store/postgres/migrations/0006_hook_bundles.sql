-- 0006: a hook's build. store/sqlite/migrations/0006_hook_bundles.sql is the
-- same schema for SQLite; keep the two in step.
--
-- bundle is the script bundled with its npm dependencies when the hook was
-- saved, bundle_hash its "sha256-<hex>" digest; both are '' for a script
-- that names no package, which runs as written.
ALTER TABLE hooks
    ADD COLUMN bundle      text NOT NULL DEFAULT '',
    ADD COLUMN bundle_hash text NOT NULL DEFAULT '';
