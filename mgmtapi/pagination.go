package mgmtapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxPerPage is Auth0's cap on per_page.
const (
	maxPerPage     = 100
	defaultPerPage = 50
)

// pageQuery is Auth0's offset pagination: page is 0-based.
type pageQuery struct {
	Page          int
	PerPage       int
	IncludeTotals bool
}

func parsePage(q url.Values) (pageQuery, error) {
	pq := pageQuery{PerPage: defaultPerPage}
	var err error
	if pq.Page, _, err = queryInt(q, "page", 0, 1<<31-1); err != nil {
		return pq, err
	}
	if v, ok, err := queryInt(q, "per_page", 0, maxPerPage); err != nil {
		return pq, err
	} else if ok {
		pq.PerPage = v
	}
	if v, _, err := queryBool(q, "include_totals"); err != nil {
		return pq, err
	} else if v != nil {
		pq.IncludeTotals = *v
	}
	return pq, nil
}

// queryInt parses an integer query parameter within [min, max].
func queryInt(q url.Values, name string, min, max int) (int, bool, error) {
	s := q.Get(name)
	if !q.Has(name) || s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, true, badQuery("'Expected type integer but found type string' on property %s", name)
	}
	if n < min {
		return 0, true, badQuery("'Too small: %d (min %d)' on property %s", n, min, name)
	}
	if n > max {
		return 0, true, badQuery("'Too big: %d (max %d)' on property %s", n, max, name)
	}
	return n, true, nil
}

// queryBool parses true/false; nil when absent.
func queryBool(q url.Values, name string) (*bool, bool, error) {
	if !q.Has(name) || q.Get(name) == "" {
		return nil, false, nil
	}
	switch q.Get(name) {
	case "true":
		t := true
		return &t, true, nil
	case "false":
		f := false
		return &f, true, nil
	}
	return nil, true, badQuery("'Expected type boolean but found type string' on property %s", name)
}

// storePage converts to the store's paging. per_page=0 asks for an empty
// page, which the store cannot express (0 means its default), so it reads
// one item for the total and the caller drops it.
func (pq pageQuery) storePage() (page, perPage int) {
	if pq.PerPage == 0 {
		return 0, 1
	}
	return pq.Page, pq.PerPage
}

// trim drops the item storePage read only for the total.
func trim[T any](pq pageQuery, items []T) []T {
	if pq.PerPage == 0 || items == nil {
		return []T{}
	}
	return items
}

// writePage answers a list in Auth0's two forms: a bare array, or with
// include_totals=true {start, limit, total, <key>} (plus length for users
// and logs).
func writePage(w http.ResponseWriter, pq pageQuery, key string, items []any, total int, withLength bool) {
	if items == nil {
		items = []any{}
	}
	if !pq.IncludeTotals {
		writeJSON(w, http.StatusOK, items)
		return
	}
	body := map[string]any{
		"start": pq.Page * pq.PerPage,
		"limit": pq.PerPage,
		"total": total,
		key:     items,
	}
	if withLength {
		body["length"] = len(items)
	}
	writeJSON(w, http.StatusOK, body)
}

// fieldSel is the fields/include_fields projection.
type fieldSel struct {
	names   map[string]bool
	include bool
}

func parseFields(q url.Values) (fieldSel, error) {
	sel := fieldSel{include: true}
	if s := q.Get("fields"); s != "" {
		sel.names = map[string]bool{}
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				sel.names[f] = true
			}
		}
	}
	inc, _, err := queryBool(q, "include_fields")
	if err != nil {
		return sel, err
	}
	if inc != nil {
		sel.include = *inc
	}
	return sel, nil
}

// apply projects one view. Without fields it returns v itself.
func (f fieldSel) apply(v any) any {
	if f.names == nil {
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return v
	}
	for k := range m {
		if f.names[k] != f.include {
			delete(m, k)
		}
	}
	return m
}

// project maps views through conv and the projection.
func project[T any, V any](items []T, sel fieldSel, conv func(*T) V) []any {
	out := make([]any, 0, len(items))
	for i := range items {
		out = append(out, sel.apply(conv(&items[i])))
	}
	return out
}
