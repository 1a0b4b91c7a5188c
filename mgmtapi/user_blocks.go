package mgmtapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// blockedFor is one brute-force block as Auth0 lists it: the identifier
// that was tried, the IP it was tried from, and the connection.
type blockedFor struct {
	Identifier string `json:"identifier"`
	IP         string `json:"ip"`
	Connection string `json:"connection"`
}

type userBlocks struct {
	BlockedFor []blockedFor `json:"blocked_for"`
}

// minBlockCount is the failure count at which a user–IP pair is blocked.
// With brute-force protection off nothing is counted, so the default
// threshold lists nothing new.
func (h *Handler) minBlockCount() int {
	if h.MaxLoginFailures > 0 {
		return h.MaxLoginFailures
	}
	return keyhook.DefaultMaxLoginFailures
}

// parseBlocksQuery validates consider_brute_force_enablement (a boolean;
// keyhook records no counts while protection is off, so both values list
// the same blocks).
func parseBlocksQuery(q url.Values) error {
	if v, ok := q["consider_brute_force_enablement"]; ok {
		if _, err := strconv.ParseBool(v[0]); err != nil || len(v) > 1 {
			return badQuery("'Expected type boolean but found type string' on property consider_brute_force_enablement")
		}
	}
	return nil
}

// requireUser answers 404 for an unknown user id.
func (h *Handler) requireUser(ctx context.Context, id string) error {
	if _, err := h.Store.UserGetByID(ctx, id); err != nil {
		return notFoundAs(err, errUserNotFound)
	}
	return nil
}

func writeBlocks(w http.ResponseWriter, fs []store.LoginFailure) {
	out := userBlocks{BlockedFor: []blockedFor{}}
	for _, f := range fs {
		out.BlockedFor = append(out.BlockedFor, blockedFor{Identifier: f.Identifier, IP: f.IP, Connection: f.Connection})
	}
	writeJSON(w, http.StatusOK, out)
}

// getUserBlocks is GET /api/v2/user-blocks/{id}.
func (h *Handler) getUserBlocks(w http.ResponseWriter, r *http.Request) error {
	if err := parseBlocksQuery(r.URL.Query()); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := h.requireUser(r.Context(), id); err != nil {
		return err
	}
	fs, err := h.Store.LoginFailureList(r.Context(), store.LoginFailureListParams{UserID: id, Min: h.minBlockCount()})
	if err != nil {
		return fmt.Errorf("list user blocks: %w", err)
	}
	writeBlocks(w, fs)
	return nil
}

// deleteUserBlocks is DELETE /api/v2/user-blocks/{id}. It lifts
// brute-force blocks only, not a block an administrator set (blocked: true),
// as in Auth0, and clears counts below the threshold too.
func (h *Handler) deleteUserBlocks(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.requireUser(r.Context(), id); err != nil {
		return err
	}
	if _, err := h.Store.LoginFailureDelete(r.Context(), store.LoginFailureDeleteParams{UserID: id}); err != nil {
		return fmt.Errorf("delete user blocks: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func identifierParam(q url.Values) (string, error) {
	v, ok := q["identifier"]
	if !ok || v[0] == "" {
		return "", badQuery("'Missing required property: identifier'")
	}
	if len(v) > 1 {
		return "", badQuery("'Expected type string but found type array' on property identifier")
	}
	return v[0], nil
}

// usersByIdentifier finds the users an identifier names: by email or
// username in every database connection. A pair's count keeps the
// identifier of its latest failure only, so lookups by identifier also go
// through the users it names.
func (h *Handler) usersByIdentifier(ctx context.Context, identifier string) ([]string, error) {
	conns, err := h.Store.ConnectionList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	var ids []string
	for _, c := range conns {
		if c.Strategy != "auth0" {
			continue
		}
		for _, get := range []func(context.Context, string, string) (*keyhook.User, error){h.Store.UserGetByEmail, h.Store.UserGetByUsername} {
			u, err := get(ctx, c.Name, identifier)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("find user: %w", err)
			}
			ids = append(ids, u.ID)
		}
	}
	return ids, nil
}

// blocksByIdentifier lists the blocks recorded under identifier and those of
// the users it names, each pair once.
func (h *Handler) blocksByIdentifier(ctx context.Context, identifier string) ([]store.LoginFailure, error) {
	threshold := h.minBlockCount()
	out, err := h.Store.LoginFailureList(ctx, store.LoginFailureListParams{Identifier: keyhook.LoginIdentifier(identifier), Min: threshold})
	if err != nil {
		return nil, fmt.Errorf("list user blocks: %w", err)
	}
	seen := map[[2]string]bool{}
	for _, f := range out {
		seen[[2]string{f.UserID, f.IP}] = true
	}
	ids, err := h.usersByIdentifier(ctx, identifier)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		fs, err := h.Store.LoginFailureList(ctx, store.LoginFailureListParams{UserID: id, Min: threshold})
		if err != nil {
			return nil, fmt.Errorf("list user blocks: %w", err)
		}
		for _, f := range fs {
			if k := [2]string{f.UserID, f.IP}; !seen[k] {
				seen[k] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// getUserBlocksByIdentifier is GET /api/v2/user-blocks?identifier=…; an
// identifier that names no one has no blocks (200, not 404, as in Auth0).
func (h *Handler) getUserBlocksByIdentifier(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	identifier, err := identifierParam(q)
	if err != nil {
		return err
	}
	if err := parseBlocksQuery(q); err != nil {
		return err
	}
	fs, err := h.blocksByIdentifier(r.Context(), identifier)
	if err != nil {
		return err
	}
	writeBlocks(w, fs)
	return nil
}

// deleteUserBlocksByIdentifier is DELETE /api/v2/user-blocks?identifier=….
func (h *Handler) deleteUserBlocksByIdentifier(w http.ResponseWriter, r *http.Request) error {
	identifier, err := identifierParam(r.URL.Query())
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := h.Store.LoginFailureDelete(ctx, store.LoginFailureDeleteParams{Identifier: keyhook.LoginIdentifier(identifier)}); err != nil {
		return fmt.Errorf("delete user blocks: %w", err)
	}
	ids, err := h.usersByIdentifier(ctx, identifier)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := h.Store.LoginFailureDelete(ctx, store.LoginFailureDeleteParams{UserID: id}); err != nil {
			return fmt.Errorf("delete user blocks: %w", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
