// Package setup prepares an empty database on first start: the Management
// API resource server of the domain, the default database connection, and
// an admin machine-to-machine client granted every Management scope. It runs
// on every start and changes nothing that already exists, except the admin
// client's secret when the operator supplies one.
//
// It imports the domain package and store.
package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// ManagementScopes are the Management API permissions keyhook checks.
var ManagementScopes = []string{
	"read:hooks", "create:hooks", "update:hooks", "delete:hooks",
	"read:actions", "create:actions", "update:actions", "delete:actions",
	"read:users", "create:users", "update:users", "delete:users", "update:users_app_metadata",
	"read:clients", "create:clients", "update:clients", "delete:clients",
	"read:client_keys", "update:client_keys",
	"read:resource_servers", "create:resource_servers", "update:resource_servers", "delete:resource_servers",
	"read:client_grants", "create:client_grants", "update:client_grants", "delete:client_grants",
	"read:connections", "create:connections", "update:connections", "delete:connections",
	"read:logs", "read:logs_users",
}

// Config says where the tenant lives and who its admin is.
type Config struct {
	// Domain is host[:port]; the Management API audience is
	// https://<Domain>/api/v2/.
	Domain string
	// DataDir receives admin-client.json when credentials are generated.
	DataDir string
	// AdminClientID and AdminClientSecret, when both set, are the admin
	// client's credentials (KEYHOOK_ADMIN_CLIENT_ID/_SECRET).
	AdminClientID     string
	AdminClientSecret string
}

// Result says what the admin can use.
type Result struct {
	Audience      string
	AdminClientID string
	// CredentialsFile is where generated credentials were written ("" when
	// they came from the environment).
	CredentialsFile string
	// GeneratedSecret is the secret generated on this start, shown once.
	GeneratedSecret string
}

// AdminCredentials is the content of <data-dir>/admin-client.json.
type AdminCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Audience     string `json:"audience"`
	TokenURL     string `json:"token_url"`
}

// Bootstrap makes sure the resource server, the connection and the admin
// client with its grant exist.
func Bootstrap(ctx context.Context, st store.Store, cfg Config) (Result, error) {
	audience := "https://" + cfg.Domain + "/api/v2/"
	res := Result{Audience: audience}
	credsFile := filepath.Join(cfg.DataDir, "admin-client.json")
	var creds AdminCredentials
	fromEnv := cfg.AdminClientID != "" && cfg.AdminClientSecret != ""
	if fromEnv {
		creds = AdminCredentials{ClientID: cfg.AdminClientID, ClientSecret: cfg.AdminClientSecret}
	} else if b, err := os.ReadFile(credsFile); err == nil {
		if err := json.Unmarshal(b, &creds); err != nil {
			return res, fmt.Errorf("setup: read %s: %w", credsFile, err)
		}
		res.CredentialsFile = credsFile
	}

	err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		now := time.Now().UTC()
		if _, err := tx.ConnectionGetByName(ctx, keyhook.DefaultDatabaseConnection); errors.Is(err, store.ErrNotFound) {
			// "good" is the password policy Auth0 gives a new database
			// connection.
			if err := tx.ConnectionCreate(ctx, &keyhook.Connection{
				ID: keyhook.NewConnectionID(), Name: keyhook.DefaultDatabaseConnection, Strategy: "auth0",
				PasswordPolicy: "good", CreatedAt: now,
			}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if _, err := tx.ResourceServerGetByIdentifier(ctx, audience); errors.Is(err, store.ErrNotFound) {
			scopes := make([]keyhook.ResourceServerScope, len(ManagementScopes))
			for i, s := range ManagementScopes {
				scopes[i] = keyhook.ResourceServerScope{Value: s}
			}
			if err := tx.ResourceServerCreate(ctx, &keyhook.ResourceServer{
				ID: keyhook.NewResourceServerID(), Identifier: audience, Name: "Auth0 Management API",
				Scopes: scopes, SigningAlg: "RS256", TokenLifetime: 86400, TokenLifetimeForWeb: 7200,
				TokenDialect: "access_token", IsSystem: true, CreatedAt: now, UpdatedAt: now,
			}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}

		if creds.ClientID == "" {
			creds = AdminCredentials{ClientID: keyhook.NewClientID(), ClientSecret: keyhook.NewClientSecret()}
			res.GeneratedSecret = creds.ClientSecret
		}
		c, err := tx.ClientGet(ctx, creds.ClientID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := tx.ClientCreate(ctx, &keyhook.Client{
				ClientID: creds.ClientID, SecretHash: keyhook.HashClientSecret(creds.ClientSecret), Name: "keyhook admin",
				AppType: "non_interactive", IsFirstParty: true, OIDCConformant: true,
				GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_post",
				CreatedAt: now, UpdatedAt: now,
			}); err != nil {
				return err
			}
		case err != nil:
			return err
		case fromEnv && c.SecretHash != keyhook.HashClientSecret(creds.ClientSecret):
			if _, err := tx.ClientUpdate(ctx, c.ClientID, func(c *keyhook.Client) error {
				c.SecretHash = keyhook.HashClientSecret(creds.ClientSecret)
				c.UpdatedAt = now
				return nil
			}); err != nil {
				return err
			}
		}
		g, err := tx.ClientGrantFind(ctx, creds.ClientID, audience)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return tx.ClientGrantCreate(ctx, &keyhook.ClientGrant{
				ID: keyhook.NewClientGrantID(), ClientID: creds.ClientID, Audience: audience,
				Scope: ManagementScopes, CreatedAt: now, UpdatedAt: now,
			})
		case err != nil:
			return err
		case len(g.Scope) != len(ManagementScopes):
			_, err := tx.ClientGrantUpdate(ctx, g.ID, func(g *keyhook.ClientGrant) error {
				g.Scope, g.UpdatedAt = ManagementScopes, now
				return nil
			})
			return err
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("setup: bootstrap: %w", err)
	}
	res.AdminClientID = creds.ClientID
	if res.GeneratedSecret != "" {
		creds.Audience = audience
		creds.TokenURL = "https://" + cfg.Domain + "/oauth/token"
		b, _ := json.MarshalIndent(creds, "", "  ")
		if err := os.WriteFile(credsFile, append(b, '\n'), 0o600); err != nil {
			return res, fmt.Errorf("setup: write %s: %w", credsFile, err)
		}
		res.CredentialsFile = credsFile
	}
	return res, nil
}
