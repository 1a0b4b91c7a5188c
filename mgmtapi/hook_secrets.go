package mgmtapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/keyhook/keyhook"
)

// Secret values are write-only: reads show keyhook.HookSecretValueNotShown
// and no response or log line ever carries a value.

func (h *Handler) getHookSecrets(w http.ResponseWriter, r *http.Request) error {
	secrets, err := h.Store.HookSecretsGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errHookNotFound)
	}
	out := make(map[string]string, len(secrets))
	for k := range secrets {
		out[k] = keyhook.HookSecretValueNotShown
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseSecrets reads an object of secret name -> string value.
func parseSecrets(b []byte) (map[string]string, error) {
	o, err := parseObject(b, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(o))
	for name := range o {
		if name == "" {
			return nil, payloadError("'Secret names must not be empty'")
		}
		var v string
		if _, err := field(o, name, &v); err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// changeSecrets runs a read-check-write of a hook's secret set atomically.
func (h *Handler) changeSecrets(ctx context.Context, hookID string, change func(cur map[string]string) error) error {
	_, err := h.Store.HookSecretsUpdate(ctx, hookID, func(cur map[string]string) (map[string]string, error) {
		if err := change(cur); err != nil {
			return nil, err
		}
		if len(cur) > keyhook.MaxHookSecrets {
			return nil, badBody("A hook can have at most %d secrets (this change would make %d)", keyhook.MaxHookSecrets, len(cur))
		}
		return cur, nil
	})
	if err != nil {
		return fmt.Errorf("update hook secrets: %w", notFoundAs(err, errHookNotFound))
	}
	return nil
}

func (h *Handler) addHookSecrets(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	add, err := parseSecrets(b)
	if err != nil {
		return err
	}
	err = h.changeSecrets(r.Context(), r.PathValue("id"), func(cur map[string]string) error {
		for _, k := range sortedKeys(add) {
			if _, ok := cur[k]; ok {
				return conflict("", "Secret %q already exists", k)
			}
			cur[k] = add[k]
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct{}{})
	return nil
}

func (h *Handler) updateHookSecrets(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	upd, err := parseSecrets(b)
	if err != nil {
		return err
	}
	err = h.changeSecrets(r.Context(), r.PathValue("id"), func(cur map[string]string) error {
		for _, k := range sortedKeys(upd) {
			if _, ok := cur[k]; !ok {
				return newError(http.StatusNotFound, "", "Secret %q does not exist", k)
			}
			cur[k] = upd[k]
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct{}{})
	return nil
}

func (h *Handler) deleteHookSecrets(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	names, err := parseSecretNames(b)
	if err != nil {
		return err
	}
	err = h.changeSecrets(r.Context(), r.PathValue("id"), func(cur map[string]string) error {
		for _, n := range names {
			delete(cur, n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// parseSecretNames reads the DELETE body: a JSON array of names.
func parseSecretNames(b []byte) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, payloadError("'Expected type array but found type null'")
	}
	if !json.Valid(b) {
		return nil, errMalformedJSON
	}
	if b[0] != '[' {
		return nil, payloadError("'Expected type array but found type %s'", jsonKind(b))
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, errMalformedJSON
	}
	names := make([]string, 0, len(raw))
	for i, item := range raw {
		var s string
		item = bytes.TrimSpace(item)
		if item[0] != '"' || json.Unmarshal(item, &s) != nil {
			return nil, payloadError("'Expected type string but found type %s' on property [%d]", jsonKind(item), i)
		}
		names = append(names, s)
	}
	return names, nil
}
