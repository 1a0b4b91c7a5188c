package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/keyhook/keyhook/actionbuild"
	"github.com/keyhook/keyhook/authapi"
	"github.com/keyhook/keyhook/configcache"
	"github.com/keyhook/keyhook/delivery"
	"github.com/keyhook/keyhook/devtls"
	"github.com/keyhook/keyhook/jsrt"
	"github.com/keyhook/keyhook/mgmtapi"
	"github.com/keyhook/keyhook/oauth"
	"github.com/keyhook/keyhook/oidc"
	"github.com/keyhook/keyhook/ratelimit"
	"github.com/keyhook/keyhook/secretbox"
	"github.com/keyhook/keyhook/server"
	"github.com/keyhook/keyhook/setup"
	"github.com/keyhook/keyhook/signer"
	"github.com/keyhook/keyhook/store"
	"github.com/keyhook/keyhook/store/postgres"
	"github.com/keyhook/keyhook/store/sqlite"
	"github.com/keyhook/keyhook/tenantlog"
	"github.com/keyhook/keyhook/trigger"
	"github.com/keyhook/keyhook/webhook"
)

type serveOptions struct {
	dataDir       string
	httpAddr      string
	httpsAddr     string
	domain        string
	database      string
	tlsCert       string
	tlsKey        string
	allowOutbound []string
	hookTimeout   time.Duration
	chainTimeout  time.Duration
	jobTimeout    time.Duration
	configMaxAge  time.Duration
	npmRegistry   string
	rateLimit     float64
	rateBurst     int
	logLevel      string
	protection    protectionOptions
	pprofAddr     string
}

func serveCommand() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the keyhook server",
		Long: `Run the keyhook server: the Authentication API, the Management API v2 and the
extensibility engine, on an HTTP and an HTTPS listener that serve the same routes.

On first start with an empty database keyhook creates the Management API
(https://<domain>/api/v2/), the Username-Password-Authentication connection
and an admin machine-to-machine client with every Management scope. Its
credentials come from KEYHOOK_ADMIN_CLIENT_ID and KEYHOOK_ADMIN_CLIENT_SECRET,
or are generated into <data-dir>/admin-client.json (mode 0600).

Environment:
  KEYHOOK_DATABASE_URL         database URL when --database is not given
  KEYHOOK_SECRET_KEY           32-byte key (base64 or hex) sealing secrets at rest;
                               generated into <data-dir>/secret.key when unset;
                               every node sharing a database must use the same one
  KEYHOOK_ADMIN_CLIENT_ID      admin client id
  KEYHOOK_ADMIN_CLIENT_SECRET  admin client secret
  KEYHOOK_ALLOW_OUTBOUND       comma-separated CIDRs or hosts, as --allow-outbound`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("database") {
				o.database = os.Getenv("KEYHOOK_DATABASE_URL")
			}
			if v := os.Getenv("KEYHOOK_ALLOW_OUTBOUND"); v != "" && !cmd.Flags().Changed("allow-outbound") {
				for _, s := range strings.Split(v, ",") {
					if s = strings.TrimSpace(s); s != "" {
						o.allowOutbound = append(o.allowOutbound, s)
					}
				}
			}
			return serve(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", "./keyhook-data", "directory for the SQLite database, TLS files, keys and generated credentials")
	f.StringVar(&o.httpAddr, "http", "127.0.0.1:8080", "HTTP listen address (empty disables)")
	f.StringVar(&o.httpsAddr, "https", "127.0.0.1:8443", "HTTPS listen address (empty disables)")
	f.StringVar(&o.domain, "domain", "localhost:8443", "public host[:port]; the issuer is https://<domain>/")
	f.StringVar(&o.database, "database", "", `database: "sqlite" (default, in --data-dir), sqlite:PATH, or postgres://… (env KEYHOOK_DATABASE_URL)`)
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (default: a development certificate in <data-dir>/tls)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file for --tls-cert")
	f.StringArrayVar(&o.allowOutbound, "allow-outbound", nil, "CIDR or host that script fetch and webhooks may reach although private (repeatable)")
	f.DurationVar(&o.hookTimeout, "hook-timeout", 5*time.Second, "time limit of one hook or action run")
	f.DurationVar(&o.chainTimeout, "chain-timeout", 10*time.Second, "time limit of one blocking trigger chain")
	f.DurationVar(&o.jobTimeout, "job-timeout", 60*time.Second, "time limit of one attempt of a non-blocking hook (post-user-registration, post-change-password); a job a crash left running is retried 20-50s after this limit")
	f.DurationVar(&o.configMaxAge, "config-max-age", time.Second, "how long cached configuration (clients, APIs, grants, hooks) is trusted for changes made by other keyhook processes sharing the database; changes through this process are seen at once (0 checks the database on every request)")
	f.StringVar(&o.npmRegistry, "npm-registry", os.Getenv("KEYHOOK_NPM_REGISTRY"), "npm registry for action and hook dependencies (env KEYHOOK_NPM_REGISTRY; default: what npm is configured with: NPM_CONFIG_REGISTRY, .npmrc files, else npm's own default as `npm config get registry` prints it)")
	f.Float64Var(&o.rateLimit, "mgmt-rate-limit", 50, "Management API requests per second per client (0 disables)")
	f.IntVar(&o.rateBurst, "mgmt-rate-burst", 100, "Management API burst size per client")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug (adds one line per request), info, warn, error")
	o.protection.addFlags(f)
	f.StringVar(&o.pprofAddr, "pprof", "", "serve Go's profiler on this loopback address, e.g. 127.0.0.1:6060 (empty disables)")
	return cmd
}

func serve(ctx context.Context, out io.Writer, o serveOptions) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if o.jobTimeout <= 0 {
		return fmt.Errorf("--job-timeout %s: must be positive", o.jobTimeout)
	}
	if o.configMaxAge < 0 {
		return fmt.Errorf("--config-max-age %s: must not be negative", o.configMaxAge)
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	envKey := os.Getenv("KEYHOOK_SECRET_KEY")
	key, err := secretbox.LoadKey(o.dataDir, envKey)
	if err != nil {
		return err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return err
	}

	workers := river.NewWorkers()
	st, err := openStore(ctx, o, box, logger, workers)
	if errors.Is(err, store.ErrSecretKeyMismatch) {
		// Say which key this node used, so the operator knows what to change.
		source := "KEYHOOK_SECRET_KEY"
		if strings.TrimSpace(envKey) == "" {
			source = filepath.Join(o.dataDir, secretbox.KeyFile) + " (KEYHOOK_SECRET_KEY is unset)"
		}
		return fmt.Errorf("refusing to start: %w\n  this node's key comes from %s; start it with the key the database was first used with", err, source)
	}
	if err != nil {
		return err
	}
	var js *jsrt.Engine
	var logs *tenantlog.Writer
	var servers []*http.Server
	// Shutdown order: the HTTP servers drain; the log writer commits the
	// entries they queued; then the store stops its job queue (running jobs
	// finish, writing their entries directly, or are cancelled and retried
	// later) and closes; only then does the JS runtime close, so no job
	// meets a closed runtime.
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, srv := range servers {
			_ = srv.Shutdown(shutdownCtx)
		}
		if logs != nil {
			_ = logs.Close()
		}
		if err := st.Close(); err != nil {
			logger.Error("close store", "err", err)
		}
		if js != nil {
			js.Close()
		}
	}()
	logs = tenantlog.NewWriter(st, tenantlog.WriterConfig{})

	guard, err := webhook.NewGuard(o.allowOutbound)
	if err != nil {
		return fmt.Errorf("--allow-outbound: %w", err)
	}
	js = jsrt.New(jsrt.Options{DefaultTimeout: o.hookTimeout, Logger: logger, HTTPClient: guard.Client(webhook.ClientOptions{})})
	issuer := "https://" + o.domain + "/"
	tenant, _, _ := strings.Cut(o.domain, ":")
	config := &configcache.Cache{Store: st, MaxAge: o.configMaxAge}
	triggers := &trigger.Engine{
		Store: st, Config: config, JS: js, Tenant: tenant,
		StepTimeout: o.hookTimeout, ChainTimeout: o.chainTimeout, AsyncTimeout: o.jobTimeout, Logs: logs,
		Issuer: issuer, Logger: logger,
	}
	if err := delivery.Register(workers, triggers); err != nil {
		return err
	}
	// Action drafts are built by a queue job, with npm dependencies; hooks
	// with theirs when they are saved (mgmtapi).
	builder := &npmBuilder{registry: o.npmRegistry, cacheDir: npmCacheDir(o.dataDir), logger: logger}
	if err := actionbuild.Register(workers, &actionbuild.Runner{Store: st, Builder: builder, Logger: logger}); err != nil {
		return err
	}

	boot, err := setup.Bootstrap(ctx, st, setup.Config{
		Domain: o.domain, DataDir: o.dataDir,
		AdminClientID: os.Getenv("KEYHOOK_ADMIN_CLIENT_ID"), AdminClientSecret: os.Getenv("KEYHOOK_ADMIN_CLIENT_SECRET"),
	})
	if err != nil {
		return err
	}
	sign, err := signer.New(ctx, st, time.Now)
	if err != nil {
		return err
	}
	// Other nodes may create or rotate keys; pick them up.
	go sign.RefreshEvery(ctx, time.Minute, logger)
	// Not ctx: River cancels running jobs at once when its start context
	// ends; shutdown stops the queue gracefully through st.Close instead.
	if err := st.JobsStart(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job workers: %w", err)
	}

	if err := o.protection.validate(); err != nil {
		return err
	}
	var limiter *ratelimit.Limiter
	if o.rateLimit > 0 {
		limiter = ratelimit.New(ratelimit.Config{Capacity: o.rateBurst, RefillPerSecond: o.rateLimit})
	}
	handler := server.New(server.Config{
		DB:     st,
		Logger: logger,
		Mounts: []server.Mounter{
			&oidc.Handler{Issuer: issuer, Signer: sign},
			&oauth.Handler{Store: st, Config: config, Signer: sign, Triggers: triggers,
				AdminClientID: boot.AdminClientID, AdminAudience: boot.Audience, Issuer: issuer, Logger: logger, Now: time.Now,
				Protection: o.protection.token(), Logs: logs},
			&authapi.Handler{Store: st, Triggers: triggers, Logs: logs, Logger: logger, Now: time.Now,
				SignupsPerIP: o.protection.signups()},
			&mgmtapi.Handler{Store: st, Verifier: sign, Issuer: issuer, Audience: boot.Audience, Tenant: tenant, Triggers: triggers, JS: js, CheckActionCode: checkActionCode,
				Limiter: limiter, Logs: logs, Logger: logger, Now: time.Now, MaxLoginFailures: o.protection.maxLoginFailures,
				ConfigChanged: config.Invalidate, HookBuilder: builder},
		},
	})

	if o.pprofAddr != "" {
		srv, _, err := startProfiler(o.pprofAddr, logger)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
	}
	errc := make(chan error, 2)
	listen := func(addr string, tlsConf *tls.Config) (net.Addr, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
		servers = append(servers, srv)
		if tlsConf != nil {
			srv.TLSConfig = tlsConf
			go func() { errc <- srv.ServeTLS(ln, "", "") }()
		} else {
			go func() { errc <- srv.Serve(ln) }()
		}
		return ln.Addr(), nil
	}

	var caFile string
	var httpsAddr, httpAddr net.Addr
	if o.httpsAddr != "" {
		certFile, keyFile := o.tlsCert, o.tlsKey
		if certFile == "" {
			host, _, err := net.SplitHostPort(o.domain)
			if err != nil {
				host = o.domain
			}
			certFile, keyFile, caFile, err = devtls.Ensure(filepath.Join(o.dataDir, "tls"), []string{host})
			if err != nil {
				return err
			}
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		if httpsAddr, err = listen(o.httpsAddr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("https listener: %w", err)
		}
	}
	if o.httpAddr != "" {
		if httpAddr, err = listen(o.httpAddr, nil); err != nil {
			return fmt.Errorf("http listener: %w", err)
		}
	}
	if httpAddr == nil && httpsAddr == nil {
		return errors.New("both --http and --https are empty")
	}
	printBanner(out, issuer, httpAddr, httpsAddr, caFile, boot)

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("listener failed", "err", err)
		}
	}
	return nil
}

// openStore picks the backend from --database.
func openStore(ctx context.Context, o serveOptions, box store.Sealer, logger *slog.Logger, workers *river.Workers) (store.Store, error) {
	db := o.database
	// River's bound on a hook job, consistent with delivery.HookWorker's.
	jobTimeout := delivery.JobTimeout(o.jobTimeout)
	switch {
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		st, err := postgres.Open(ctx, postgres.Config{URL: db, Sealer: box, Logger: logger, Workers: workers, JobTimeout: jobTimeout})
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return st, nil
	case db == "", db == "sqlite", strings.HasPrefix(db, "sqlite:"):
		path := filepath.Join(o.dataDir, "keyhook.db")
		if p := strings.TrimPrefix(strings.TrimPrefix(db, "sqlite:"), "//"); strings.HasPrefix(db, "sqlite:") && p != "" {
			path = p
		}
		st, err := sqlite.Open(ctx, sqlite.Config{Path: path, Sealer: box, Logger: logger, Workers: workers, JobTimeout: jobTimeout})
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		return st, nil
	}
	return nil, fmt.Errorf("--database %q: want sqlite, sqlite:PATH or postgres://…", db)
}

func printBanner(out io.Writer, issuer string, httpAddr, httpsAddr net.Addr, caFile string, boot setup.Result) {
	fmt.Fprintf(out, "keyhook is serving\n  issuer:  %s\n", issuer)
	if httpsAddr != nil {
		fmt.Fprintf(out, "  https:   https://%s\n", httpsAddr)
	}
	if httpAddr != nil {
		fmt.Fprintf(out, "  http:    http://%s\n", httpAddr)
	}
	cacert := ""
	if caFile != "" {
		fmt.Fprintf(out, "  dev CA:  %s (trust it, e.g. NODE_EXTRA_CA_CERTS=%s)\n", caFile, caFile)
		cacert = "--cacert " + caFile + " "
	}
	secret := "$KEYHOOK_ADMIN_CLIENT_SECRET"
	if boot.CredentialsFile != "" {
		fmt.Fprintf(out, "  admin client credentials: %s\n", boot.CredentialsFile)
		secret = "$(python3 -c 'import json;print(json.load(open(\"" + boot.CredentialsFile + "\"))[\"client_secret\"])')"
	} else {
		fmt.Fprintf(out, "  admin client: %s (secret from KEYHOOK_ADMIN_CLIENT_SECRET)\n", boot.AdminClientID)
	}
	fmt.Fprintf(out, "  get an admin token:\n    curl -s %s%soauth/token -H 'content-type: application/json' \\\n      -d '{\"grant_type\":\"client_credentials\",\"client_id\":\"%s\",\"client_secret\":\"'\"%s\"'\",\"audience\":\"%s\"}'\n",
		cacert, issuer, boot.AdminClientID, secret, boot.Audience)
}
