package mgmtapi

import (
	"net/http"

	"github.com/keyhook/keyhook"
)

var errExecutionNotFound = &apiError{Status: http.StatusNotFound, Message: "That execution does not exist."}

// executionErrorView is a step's error as Auth0 shows it ({id, msg}), with
// the script error's name.
type executionErrorView struct {
	ID   string `json:"id"`
	Msg  string `json:"msg"`
	Name string `json:"name"`
}

// executionResultView is one step of an execution: Auth0's result fields,
// and keyhook's record of what the step did (version, duration, console
// output, the api calls it made).
type executionResultView struct {
	ActionName    string                     `json:"action_name"`
	ActionID      string                     `json:"action_id,omitempty"`
	BindingID     string                     `json:"binding_id,omitempty"`
	VersionID     string                     `json:"version_id,omitempty"`
	VersionNumber int                        `json:"version_number,omitempty"`
	HookID        string                     `json:"hook_id,omitempty"`
	Error         *executionErrorView        `json:"error"`
	StartedAt     string                     `json:"started_at"`
	EndedAt       string                     `json:"ended_at"`
	DurationMS    float64                    `json:"duration_ms"`
	Logs          string                     `json:"logs"`
	Commands      []keyhook.ExecutionCommand `json:"commands"`
}

type executionView struct {
	ID        string                `json:"id"`
	TriggerID string                `json:"trigger_id"`
	Status    string                `json:"status"`
	Results   []executionResultView `json:"results"`
	CreatedAt string                `json:"created_at"`
	UpdatedAt string                `json:"updated_at"`
}

func viewExecution(e *keyhook.Execution) executionView {
	v := executionView{
		ID: e.ID, TriggerID: string(e.TriggerID), Status: string(e.Status), Results: []executionResultView{},
		CreatedAt: formatTime(e.CreatedAt), UpdatedAt: formatTime(e.UpdatedAt),
	}
	for _, s := range e.Steps {
		rv := executionResultView{
			ActionName: s.ActionName, ActionID: s.ActionID, BindingID: s.BindingID, VersionID: s.VersionID,
			VersionNumber: s.VersionNumber, HookID: s.HookID, StartedAt: formatTime(s.StartedAt),
			EndedAt: formatTime(s.EndedAt), DurationMS: float64(s.Duration().Microseconds()) / 1000,
			Logs: s.Logs, Commands: s.Commands,
		}
		if s.Error != nil {
			rv.Error = &executionErrorView{ID: s.Error.Name, Msg: s.Error.Message, Name: s.Error.Name}
		}
		if rv.Commands == nil {
			rv.Commands = []keyhook.ExecutionCommand{}
		}
		v.Results = append(v.Results, rv)
	}
	return v
}

func (h *Handler) getExecution(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r.URL.Query()); err != nil {
		return err
	}
	e, err := h.Store.ExecutionGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return notFoundAs(err, errExecutionNotFound)
	}
	writeJSON(w, http.StatusOK, viewExecution(e))
	return nil
}
