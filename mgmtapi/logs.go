package mgmtapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// logView is a tenant log entry as Auth0 shows it (log_id and its legacy
// twin _id).
type logView struct {
	LogID        string         `json:"log_id"`
	ID           string         `json:"_id"`
	Date         string         `json:"date"`
	Type         string         `json:"type"`
	Description  string         `json:"description,omitempty"`
	Connection   string         `json:"connection,omitempty"`
	ConnectionID string         `json:"connection_id,omitempty"`
	ClientID     string         `json:"client_id,omitempty"`
	ClientName   string         `json:"client_name,omitempty"`
	IP           string         `json:"ip,omitempty"`
	Hostname     string         `json:"hostname,omitempty"`
	UserID       string         `json:"user_id,omitempty"`
	UserName     string         `json:"user_name,omitempty"`
	Audience     string         `json:"audience,omitempty"`
	Scope        string         `json:"scope,omitempty"`
	Strategy     string         `json:"strategy,omitempty"`
	StrategyType string         `json:"strategy_type,omitempty"`
	UserAgent    string         `json:"user_agent,omitempty"`
	Details      map[string]any `json:"details,omitempty"`
}

func viewLog(e *keyhook.LogEntry) logView {
	return logView{
		LogID: e.LogID, ID: e.LogID, Date: formatTime(e.Date), Type: e.Type, Description: e.Description,
		Connection: e.Connection, ConnectionID: e.ConnectionID, ClientID: e.ClientID, ClientName: e.ClientName,
		IP: e.IP, Hostname: e.Hostname, UserID: e.UserID, UserName: e.UserName, Audience: e.Audience,
		Scope: e.Scope, Strategy: e.Strategy, StrategyType: e.StrategyType, UserAgent: e.UserAgent,
		Details: e.Details,
	}
}

// logSearch is the supported subset of the Lucene search (q or search):
// type:xx and user_id:"…", joined by AND or spaces.
type logSearch struct {
	typ, userID string
}

func parseLogSearch(s string) (logSearch, error) {
	var ls logSearch
	s = strings.TrimSpace(s)
	for s != "" {
		k, rest, ok := strings.Cut(s, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return ls, badQuery("unsupported search %q: keyhook supports type:… and user_id:\"…\"", s)
		}
		rest = strings.TrimLeft(rest, " ")
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				return ls, badQuery("unterminated quote in search %q", s)
			}
			v, rest = rest[1:1+end], rest[2+end:]
		} else {
			v, rest, _ = strings.Cut(rest, " ")
		}
		switch k {
		case "type":
			ls.typ = v
		case "user_id":
			ls.userID = v
		default:
			return ls, badQuery("unsupported search field %q: keyhook supports type and user_id", k)
		}
		if v == "" {
			return ls, badQuery("empty value for %s in search", k)
		}
		rest = strings.TrimSpace(rest)
		if r, ok := strings.CutPrefix(rest, "AND "); ok {
			rest = r
		}
		s = strings.TrimSpace(rest)
	}
	return ls, nil
}

func (h *Handler) listLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	search := q.Get("q")
	if s := q.Get("search"); s != "" {
		search = s
	}
	ls, err := parseLogSearch(search)
	if err != nil {
		return err
	}
	sel, err := parseFields(q)
	if err != nil {
		return err
	}
	p := store.LogListParams{Type: ls.typ, UserID: ls.userID}
	if q.Has("from") || q.Has("take") {
		return h.listLogsCheckpoint(w, r, p, sel)
	}
	return h.listLogsOffset(w, r, p, sel, "logs")
}

// listLogsCheckpoint serves from/take: ascending by log id after from,
// always a bare array, with a Link to the next checkpoint.
func (h *Handler) listLogsCheckpoint(w http.ResponseWriter, r *http.Request, p store.LogListParams, sel fieldSel) error {
	q := r.URL.Query()
	take, ok, err := queryInt(q, "take", 1, maxPerPage)
	if err != nil {
		return err
	}
	if !ok {
		take = defaultPerPage
	}
	p.Checkpoint, p.From, p.Take = true, q.Get("from"), take
	entries, _, err := h.Store.LogList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list logs: %w", err)
	}
	if len(entries) > 0 {
		next := url.Values{"from": {entries[len(entries)-1].LogID}, "take": {strconv.Itoa(take)}}
		w.Header().Set("Link", fmt.Sprintf(`<%slogs?%s>; rel="next"`, h.Audience, next.Encode()))
	}
	writeJSON(w, http.StatusOK, project(entries, sel, func(e *keyhook.LogEntry) any { return viewLog(e) }))
	return nil
}

// listLogsOffset serves page/per_page/include_totals/sort=date:±1.
func (h *Handler) listLogsOffset(w http.ResponseWriter, r *http.Request, p store.LogListParams, sel fieldSel, key string) error {
	q := r.URL.Query()
	pq, err := parsePage(q)
	if err != nil {
		return err
	}
	_, desc, err := parseSort(q, []string{"date"})
	if err != nil {
		return err
	}
	p.Ascending = q.Get("sort") != "" && !desc
	p.Page, p.PerPage = pq.storePage()
	entries, total, err := h.Store.LogList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list logs: %w", err)
	}
	writePage(w, pq, key, project(trim(pq, entries), sel, func(e *keyhook.LogEntry) any { return viewLog(e) }), total, true)
	return nil
}

func (h *Handler) getLog(w http.ResponseWriter, r *http.Request) error {
	e, err := h.Store.LogGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errLogNotFound)
	}
	writeJSON(w, http.StatusOK, viewLog(e))
	return nil
}

// listUserLogs is GET /users/{id}/logs: offset pagination only.
func (h *Handler) listUserLogs(w http.ResponseWriter, r *http.Request) error {
	return h.listLogsOffset(w, r, store.LogListParams{UserID: r.PathValue("id")}, fieldSel{}, "logs")
}
